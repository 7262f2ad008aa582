import { recordSchemaErrors } from './support/record-schemas';
import { lastState, records } from './support/catalog-helpers';
import { logBasedFixture, type LogBasedFixture } from './support/log-based-fixture';
import { contractViolations, describeRun } from './support/output-contract';

/**
 * PostgreSQL does not enforce an array column's declared dimensions: an `int[]` holds
 * `{{1,2},{3,4}}` as well as `{1,2}`, and a column made by CREATE TABLE AS declares none
 * (attndims 0). Whatever the depth, the record carries the nested arrays and validates against
 * the stream's SCHEMA, in FULL_TABLE (COPY, whose number-array fast path must step aside for
 * nested values) and in LOG_BASED.
 */
const SETUP = `
CREATE TABLE public.arr (id int PRIMARY KEY, a int[], n numeric[], t text[]);
INSERT INTO public.arr VALUES
  (1, '{{1,2},{3,4}}', '{{1.5},{2}}', '{{"x y",NULL}}'),
  (2, '{1,2}', '{1.5,2}', '{a}'),
  (3, NULL, '{}', '{{{z}}}');
CREATE TABLE public.arr_copy AS SELECT * FROM public.arr;
ALTER TABLE public.arr_copy ADD PRIMARY KEY (id);`;

const EXPECTED = [
  {
    id: 1,
    a: [
      [1, 2],
      [3, 4],
    ],
    n: [[1.5], [2]],
    t: [['x y', null]],
  },
  { id: 2, a: [1, 2], n: [1.5, 2], t: ['a'] },
  { id: 3, a: null, n: [], t: [[['z']]] },
];

const sdcFree = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_sdc_'))));

describe('arrays deeper than declared', () => {
  let fx: LogBasedFixture;
  beforeAll(async () => {
    fx = await logBasedFixture('arrdepth', SETUP);
  });
  afterAll(async () => {
    await fx.db.drop();
  });

  it('CREATE TABLE AS declares no dimensions (what the test relies on)', async () => {
    const rows = await fx.db.query<{ rel: string; dims: number }>(
      `SELECT attrelid::regclass::text AS rel, attndims AS dims FROM pg_attribute
        WHERE attname = 'a' AND attrelid IN ('public.arr'::regclass, 'public.arr_copy'::regclass)
        ORDER BY 1`,
    );
    expect(rows).toEqual([
      { rel: 'arr', dims: 1 },
      { rel: 'arr_copy', dims: 0 },
    ]);
  });

  it('FULL_TABLE: nested values come out nested and every record fits its schema', async () => {
    await fx.select({
      'public-arr': { method: 'FULL_TABLE' },
      'public-arr_copy': { method: 'FULL_TABLE' },
    });
    const r = await fx.run();
    expect(contractViolations(r, { allowed: [0] })).toEqual([]);
    for (const s of ['public-arr', 'public-arr_copy']) {
      expect(records(r.msgs, s)).toEqual(EXPECTED);
    }
    expect(recordSchemaErrors(r.msgs)).toEqual([]);
  });

  it('LOG_BASED (pgoutput): the snapshot and the changes fit the schema', async () => {
    await fx.select({ 'public-arr': {}, 'public-arr_copy': {} });
    const first = await fx.run(undefined, { create_publication: true });
    expect(contractViolations(first, { allowed: [0] })).toEqual([]);
    expect(recordSchemaErrors(first.msgs)).toEqual([]);
    for (const table of ['arr', 'arr_copy']) {
      await fx.db.query(
        `INSERT INTO public.${table} VALUES (4, '{{{1},{2}}}', '{{{{{{1}}}}}}', '{{"}"}}');
         UPDATE public.${table} SET a = '{{5,6}}' WHERE id = 2;`,
      );
    }
    const second = await fx.run(lastState(first.msgs));
    if (second.code !== 0) throw new Error(describeRun(second));
    for (const s of ['public-arr', 'public-arr_copy']) {
      expect(sdcFree(records(second.msgs, s))).toEqual([
        { id: 4, a: [[[1], [2]]], n: [[[[[[1]]]]]], t: [['}']] },
        { id: 2, a: [[5, 6]], n: [1.5, 2], t: ['a'] },
      ]);
    }
    expect(recordSchemaErrors(second.msgs)).toEqual([]);
  });
});
