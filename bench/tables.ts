import type { Schema } from '../src/maps/schema-types';

/**
 * The benchmark's tables, built with generate_series: `narrow` (5 columns) and `wide`
 * (20 columns of every common type family, about 10% NULLs in each nullable column).
 */

/** `CASE WHEN i % 10 = k THEN NULL ELSE expr END`: each column has its own NULL tenth. */
const nullTenth = (k: number, expr: string) => `CASE WHEN i % 10 = ${k} THEN NULL ELSE ${expr} END`;

export const NARROW_DDL = `CREATE TABLE bench_narrow (id bigint PRIMARY KEY, ts timestamptz, label text, amount numeric(12,2), flag boolean)`;

/** Rows `from`..`to` of narrow. */
export const narrowInsert = (from: number, to: number) =>
  `INSERT INTO bench_narrow SELECT i, TIMESTAMPTZ '2024-01-01' + i * interval '1 second', 'label ' || i, (i % 100000) / 100.0, i % 2 = 0 FROM generate_series(${from}, ${to}) i`;

export const WIDE_DDL = `
  DROP TYPE IF EXISTS bench_mood CASCADE;
  CREATE TYPE bench_mood AS ENUM ('sad', 'ok', 'happy');
  CREATE TABLE bench_wide (
    id bigint PRIMARY KEY, i2 smallint, i4 integer, i8 bigint, f8 double precision,
    n numeric(18,6), txt text, vc varchar(50), b boolean, d date, ts timestamp, tstz timestamptz,
    t time, u uuid, j jsonb, ai integer[], ip inet, by bytea, iv interval, e bench_mood)`;

/** Rows `from`..`to` of wide. */
export const wideInsert = (from: number, to: number) => `
  INSERT INTO bench_wide SELECT i,
    ${nullTenth(0, '(i % 32000)::smallint')},
    ${nullTenth(1, '(i * 7 % 2000000000)::integer')},
    ${nullTenth(2, 'i * 1000003')},
    ${nullTenth(3, 'i::float8 / 7')},
    ${nullTenth(4, '((i * 12345) % 1000000000000)::numeric / 1000000')},
    ${nullTenth(5, `substr('text ' || repeat(md5(i::text), 4), 1, 100)`)},
    ${nullTenth(6, `'name-' || i`)},
    ${nullTenth(7, 'i % 3 = 0')},
    ${nullTenth(8, `DATE '2000-01-01' + (i % 10000)::integer`)},
    ${nullTenth(9, `TIMESTAMP '2020-01-01' + i * interval '1.5 second'`)},
    ${nullTenth(0, `TIMESTAMPTZ '2020-01-01 00:00:00+00' + i * interval '1 second'`)},
    ${nullTenth(1, `TIME '00:00' + (i % 86400) * interval '1 second'`)},
    ${nullTenth(2, 'md5(i::text)::uuid')},
    ${nullTenth(3, `jsonb_build_object('k', i, 's', 'v' || (i % 100), 'f', i % 2 = 0)`)},
    ${nullTenth(4, 'ARRAY[i % 100, i % 1000, i % 10000]::integer[]')},
    ${nullTenth(5, `('10.' || (i >> 16) % 256 || '.' || (i >> 8) % 256 || '.' || i % 256)::inet`)},
    ${nullTenth(6, `decode(md5(i::text) || md5((i + 1)::text), 'hex')`)},
    ${nullTenth(7, 'make_interval(days => (i % 30)::integer, secs => i % 3600)')},
    ${nullTenth(8, `(ARRAY['sad', 'ok', 'happy'])[i % 3 + 1]::bench_mood`)}
  FROM generate_series(${from}::bigint, ${to}::bigint) i`;

/**
 * The `maps` part's stream map of narrow, a privacy and cleanup map of 5 expressions: a hash, an
 * upper(), int arithmetic on a numeric, a rename, and a filter that keeps every row (so both runs
 * write as many records).
 */
export const NARROW_MAP = {
  'public-bench_narrow': {
    label_hash: 'md5(label)',
    label: 'label.upper()',
    cents: 'int(amount * 100)',
    created_at: 'ts',
    ts: null,
    __filter__: 'amount >= 0',
  },
};

/** The micro benches' maps of narrow: the bench map, a rename and removal, each expression alone. */
export const MAP_CASES: ReadonlyArray<readonly [string, Record<string, string | null>]> = [
  ['bench map', NARROW_MAP['public-bench_narrow'] as Record<string, string | null>],
  ['rename+remove', { created_at: 'ts', ts: null }],
  ['md5(label)', { label_hash: 'md5(label)' }],
  ['label.upper()', { label: 'label.upper()' }],
  ['int(amount * 100)', { cents: 'int(amount * 100)' }],
  ['__filter__ amount >= 0', { __filter__: 'amount >= 0' }],
];

/** Narrow's SCHEMA as discovery gives it (what the micro benches plan their maps for). */
export const NARROW_SCHEMA: Schema = {
  type: 'object',
  properties: {
    id: { type: ['integer'] },
    ts: { type: ['null', 'string'], format: 'date-time' },
    label: { type: ['null', 'string'] },
    amount: { type: ['null', 'number'] },
    flag: { type: ['null', 'boolean'] },
  },
};
