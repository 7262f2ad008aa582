import { lastState, records, replay, type Message } from './support/catalog-helpers';
import { wal2jsonServerUrl, wal2jsonSkipped } from './support/debian-server';
import { logBasedFixture, type LogBasedFixture } from './support/log-based-fixture';
import { recordSchemaErrors } from './support/record-schemas';

/**
 * An UPDATE that changes a row's key is, for a keyed target, a new row: the old key must be
 * removed by a record of its own, or the target keeps a row the source no longer has. Deletes
 * must carry the stream's key, whatever the replica identity sends.
 */
const plugins = wal2jsonSkipped() ? (['pgoutput'] as const) : (['pgoutput', 'wal2json'] as const);

const fixtureOptions = (plugin: 'pgoutput' | 'wal2json') =>
  plugin === 'wal2json'
    ? { admin: wal2jsonServerUrl(), config: { logical_decoding_plugin: 'wal2json' } }
    : {};

/** 8 kB of chained md5: stored out of line (EXTERNAL storage, nothing to compress). */
const noise = (seed: string) =>
  `(SELECT string_agg(md5(${seed} || '-' || g::text), '') FROM generate_series(1, 256) AS g)`;

const TABLES = ['single', 'single_full', 'pair', 'pair_full'] as const;
const KEYS: Record<(typeof TABLES)[number], string[]> = {
  single: ['id'],
  single_full: ['id'],
  pair: ['a', 'b'],
  pair_full: ['a', 'b'],
};

const SETUP = `
  CREATE TABLE single (id int PRIMARY KEY, v text, body text);
  CREATE TABLE single_full (id int PRIMARY KEY, v text, body text);
  CREATE TABLE pair (a int, b text, v text, body text, PRIMARY KEY (a, b));
  CREATE TABLE pair_full (a int, b text, v text, body text, PRIMARY KEY (a, b));
  ALTER TABLE single_full REPLICA IDENTITY FULL;
  ALTER TABLE pair_full REPLICA IDENTITY FULL;
  ${TABLES.map((t) => `ALTER TABLE ${t} ALTER COLUMN body SET STORAGE EXTERNAL;`).join('\n')}
  INSERT INTO single SELECT g, 'v' || g, ${noise('g::text')} FROM generate_series(1, 5) AS g;
  INSERT INTO single_full SELECT * FROM single;
  INSERT INTO pair SELECT g, 'k' || g, 'v' || g, ${noise('g::text')} FROM generate_series(1, 4) AS g;
  INSERT INTO pair_full SELECT * FROM pair;
  CREATE PUBLICATION tap_postgres FOR TABLE single, single_full, pair, pair_full;`;

const CHANGES = `
  UPDATE single SET id = id + 10000 WHERE id = 1;
  UPDATE single SET id = 20, v = 'moved' WHERE id = 2;
  UPDATE single SET v = 'same key' WHERE id = 3;
  BEGIN;
  UPDATE single SET id = 30 WHERE id = 4;
  UPDATE single SET id = 31 WHERE id = 30;
  COMMIT;
  UPDATE pair SET b = 'moved' WHERE a = 1;
  UPDATE pair SET a = a + 100, b = 'both' WHERE a = 2;
  UPDATE pair SET v = 'same key' WHERE a = 3;`;

describe.each(plugins)('LOG_BASED key updates (%s)', (plugin) => {
  let f: LogBasedFixture;
  let first: Message[];

  beforeAll(async () => {
    f = await logBasedFixture('keychg', SETUP, fixtureOptions(plugin));
    await f.select(Object.fromEntries(TABLES.map((t) => [`public-${t}`, {}])));
    const r = await f.run();
    expect(r.stderr).not.toMatch(/CRITICAL/);
    first = r.msgs;
  });
  afterAll(async () => {
    await f?.db.drop();
  });

  it('removes the old key before the new row (single and composite keys, DEFAULT and FULL); the moved row keeps its TOAST value', async () => {
    await f.db.query(CHANGES);
    await f.db.query(
      CHANGES.replace(/\bsingle\b/g, 'single_full').replace(/\bpair\b/g, 'pair_full'),
    );
    const r = await f.run(lastState(first));
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    expect(recordSchemaErrors([...first, ...r.msgs])).toEqual([]);

    for (const t of TABLES) {
      const keys = KEYS[t];
      const recs = records(r.msgs, `public-${t}`);
      const removals = recs.filter((x) => x._sdc_deleted_at);
      const keyOf = (x: Record<string, unknown>) => keys.map((k) => x[k]);
      expect(removals.map(keyOf)).toEqual(
        keys.length === 1
          ? [[1], [2], [4], [30]]
          : [
              [1, 'k1'],
              [2, 'k2'],
            ],
      );
      for (const x of removals) {
        expect(typeof x._sdc_deleted_at).toBe('string');
        for (const [k, v] of Object.entries(x)) {
          if (!keys.includes(k) && !k.startsWith('_sdc_')) expect(v).toBeNull();
        }
      }
      // each removal comes before the row under its new key
      const at = (pred: (x: Record<string, unknown>) => boolean) => recs.findIndex(pred);
      if (keys.length === 1) {
        expect(at((x) => x.id === 1)).toBeLessThan(at((x) => x.id === 10001));
        expect(at((x) => x.id === 2)).toBeLessThan(at((x) => x.id === 20));
      } else {
        expect(at((x) => x.a === 1 && x.b === 'k1')).toBeLessThan(
          at((x) => x.a === 1 && x.b === 'moved'),
        );
      }

      const source = await f.db.query<Record<string, unknown>>(`SELECT * FROM ${t}`);
      const target = replay(
        [...first, ...r.msgs].filter((m) => m.stream === `public-${t}`),
        keys,
      );
      expect([...target.values()].sort(byKey(keys))).toEqual(source.sort(byKey(keys)));
    }
    // the moved row's unchanged out-of-line value is in its new record
    const moved = records(r.msgs, 'public-single').find((x) => x.id === 10001)!;
    const [src] = await f.db.query<{ body: string }>(`SELECT body FROM single WHERE id = 10001`);
    expect(moved.body).toBe(src!.body);
    expect((moved.body as string).length).toBe(256 * 32);
  });
});

describe.each(plugins)('LOG_BASED deletes under REPLICA IDENTITY USING INDEX (%s)', (plugin) => {
  let f: LogBasedFixture;

  beforeAll(async () => {
    f = await logBasedFixture(
      'keyidx',
      `CREATE TABLE coded (id int PRIMARY KEY, code text NOT NULL, v text);
       CREATE UNIQUE INDEX coded_code ON coded (code);
       ALTER TABLE coded REPLICA IDENTITY USING INDEX coded_code;
       INSERT INTO coded VALUES (1, 'a', 'x'), (2, 'b', 'y'), (3, 'c', 'z');
       CREATE PUBLICATION tap_postgres FOR TABLE coded;`,
      fixtureOptions(plugin),
    );
  });
  afterAll(async () => {
    await f?.db.drop();
  });

  it('key properties the identity sends (code): deletes and key changes carry them', async () => {
    await f.select({ 'public-coded': { keyProperties: ['code'] } });
    const first = await f.run();
    expect(first.code).toBe(0);
    await f.db.query(`DELETE FROM coded WHERE id = 1; UPDATE coded SET code = 'bb' WHERE id = 2`);
    const r = await f.run(lastState(first.msgs));
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    expect(recordSchemaErrors([...first.msgs, ...r.msgs])).toEqual([]);
    const removals = records(r.msgs).filter((x) => x._sdc_deleted_at);
    expect(removals.map((x) => x.code)).toEqual(['a', 'b']);
    const source = await f.db.query<Record<string, unknown>>(`SELECT * FROM coded`);
    const target = replay([...first.msgs, ...r.msgs], 'code');
    expect([...target.values()].sort(byKey(['code']))).toEqual(source.sort(byKey(['code'])));
  });

  it('key properties the identity does not send (id): refused before any output, --check names it', async () => {
    await f.select({ 'public-coded': { keyProperties: ['id'] } });
    const r = await f.run();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /public\.coded: key properties id are not in its REPLICA IDENTITY USING INDEX on \(code\).*ALTER TABLE "public"\."coded" REPLICA IDENTITY FULL;.*table-key-properties/,
    );
    const check = await f.run(undefined, {}, ['--check']);
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toMatch(
      /key properties id are not in its REPLICA IDENTITY USING INDEX on \(code\)/,
    );
  });
});

function byKey(keys: readonly string[]) {
  return (x: Record<string, unknown>, y: Record<string, unknown>) =>
    JSON.stringify(keys.map((k) => x[k])) < JSON.stringify(keys.map((k) => y[k])) ? -1 : 1;
}
