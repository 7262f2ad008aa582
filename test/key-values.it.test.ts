import {
  lastState,
  parseMessages,
  records,
  selectStreams,
  type Message,
  type Selection,
} from './support/catalog-helpers';
import { recordSchemaErrors } from './support/record-schemas';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * Key values JSON has no spelling for (numeric NaN / ±Infinity, ±infinity and BC timestamps)
 * must not become null: a target upserts by key, and every such row would collapse into one.
 * Each method sends them as PostgreSQL's text, the same text, under a SCHEMA that allows it.
 */
const TABLES: Readonly<Record<string, { type: string; keys: string[]; json: unknown[] }>> = {
  ts_keys: {
    type: 'timestamp',
    keys: [
      'infinity',
      '-infinity',
      '0044-03-15 10:00:00 BC',
      '2024-01-02 03:04:05.5',
      '12021-01-01',
    ],
    json: [
      'infinity',
      '-infinity',
      '0044-03-15 10:00:00 BC',
      '2024-01-02T03:04:05.5+00:00',
      '12021-01-01 00:00:00',
    ],
  },
  tstz_keys: {
    type: 'timestamptz',
    keys: ['infinity', '-infinity', '0044-03-15 10:00:00Z BC', '2024-01-02 03:04:05Z'],
    json: ['infinity', '-infinity', '0044-03-15 10:00:00+00 BC', '2024-01-02T03:04:05+00:00'],
  },
  date_keys: {
    type: 'date',
    keys: ['infinity', '-infinity', '0044-03-15 BC', '2024-01-02'],
    json: ['infinity', '-infinity', '0044-03-15 BC', '2024-01-02'],
  },
  num_keys: {
    type: 'numeric',
    keys: ['NaN', 'Infinity', '-Infinity', '1.50'],
    json: ['NaN', 'Infinity', '-Infinity', 1.5],
  },
  float_keys: {
    type: 'float8',
    keys: ['NaN', 'Infinity', '-Infinity', '0.1'],
    json: ['NaN', 'Infinity', '-Infinity', 0.1],
  },
};
const NAMES = Object.keys(TABLES);
const sorted = (vs: unknown[]) => vs.map((v) => JSON.stringify(v)).sort();

describe('key values JSON cannot carry', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;
  let discovered: Parameters<typeof selectStreams>[0];
  const run = async (sel: Selection, state?: unknown, extra: Record<string, unknown> = {}) => {
    const catalog = selectStreams(
      discovered,
      Object.fromEntries(NAMES.map((n) => [`public-${n}`, sel])),
    );
    const argv = [
      '--config',
      files.write(`config-${Math.random()}.json`, { ...db.config, ...extra }),
      '--catalog',
      files.write(`catalog-${Math.random()}.json`, catalog),
    ];
    if (state !== undefined) argv.push('--state', files.write(`s-${Math.random()}.json`, state));
    const r = await runTap(argv);
    if (r.code !== 0) throw new Error(r.stderr);
    return parseMessages(r.stdout);
  };

  /** Each stream's key values; every one non-null and distinct; every RECORD valid. */
  const keysOf = (msgs: Message[]) => {
    expect(recordSchemaErrors(msgs)).toEqual([]);
    return Object.fromEntries(
      NAMES.map((n) => {
        const ks = records(msgs, `public-${n}`).map((r) => r.k);
        expect(ks).not.toContain(null);
        expect(new Set(ks.map((k) => JSON.stringify(k))).size).toBe(ks.length);
        return [n, sorted(ks)];
      }),
    );
  };
  const expected = Object.fromEntries(NAMES.map((n) => [n, sorted(TABLES[n]!.json)]));

  beforeAll(async () => {
    db = await createTestDatabase('keyvals');
    for (const [name, t] of Object.entries(TABLES)) {
      await db.query(`CREATE TABLE ${name} (k ${t.type} PRIMARY KEY, u int NOT NULL, v ${t.type})`);
      await db.query(
        `INSERT INTO ${name} SELECT k::${t.type}, ord, k::${t.type}
           FROM unnest($1::text[]) WITH ORDINALITY AS x(k, ord)`,
        [t.keys],
      );
    }
    await db.query(`CREATE PUBLICATION tap_postgres FOR TABLE ${NAMES.join(', ')}`);
    config = files.write('config.json', db.config);
    const r = await runTap(['--config', config, '--discover']);
    expect(r.code).toBe(0);
    discovered = JSON.parse(r.stdout);
  });
  afterAll(async () => {
    await db.drop();
  });

  it.each(['null', 'clamp'])(
    'FULL_TABLE (temporal_out_of_range %s): keys as PostgreSQL prints them, other columns per the policy',
    async (policy) => {
      const msgs = await run({ method: 'FULL_TABLE' }, undefined, {
        temporal_out_of_range: policy,
        batch_fetch_limit: 2,
      });
      expect(keysOf(msgs)).toEqual(expected);
      // The non-key copy of the same value still follows temporal_out_of_range.
      const inf = records(msgs, 'public-ts_keys').find((r) => r.k === 'infinity')!;
      expect(inf.v).toBe(policy === 'null' ? null : '9999-12-31T23:59:59+00:00');
      expect(records(msgs, 'public-num_keys').find((r) => r.k === 'NaN')!.v).toBeNull();
    },
  );

  it('the key property schema holds the column schema first, then the text', async () => {
    const msgs = await run({ method: 'FULL_TABLE' });
    const schema = msgs.find((m) => m.type === 'SCHEMA' && m.stream === 'public-ts_keys')!.schema!;
    expect((schema.properties as Record<string, unknown>).k).toEqual({
      anyOf: [{ type: ['string'], format: 'date-time' }, { type: ['string'] }],
    });
  });

  it('INCREMENTAL', async () => {
    expect(keysOf(await run({ method: 'INCREMENTAL', replicationKey: 'u' }))).toEqual(expected);
  });

  it('LOG_BASED: the first copy and changes from the WAL (pgoutput) send the same keys', async () => {
    const first = await run({ method: 'LOG_BASED' }, undefined, { logical_poll_total_seconds: 2 });
    expect(keysOf(first)).toEqual(expected);
    for (const n of NAMES) await db.query(`UPDATE ${n} SET u = u + 100`);
    const second = await run({ method: 'LOG_BASED' }, lastState(first), {
      logical_poll_total_seconds: 2,
    });
    expect(keysOf(second)).toEqual(expected);
    for (const n of NAMES) await db.query(`DELETE FROM ${n}`);
    const third = await run({ method: 'LOG_BASED' }, lastState(second), {
      logical_poll_total_seconds: 2,
    });
    expect(keysOf(third)).toEqual(expected);
    expect(records(third).every((r) => r._sdc_deleted_at !== null)).toBe(true);
  });
});
