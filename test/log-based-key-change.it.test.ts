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

describe.each(plugins)(
  'LOG_BASED changes written under an earlier replica identity that left out the key (%s)',
  (plugin) => {
    let f: LogBasedFixture;

    beforeAll(async () => {
      f = await logBasedFixture(
        'keywas',
        `CREATE TABLE items (id int PRIMARY KEY, uid int NOT NULL, v text);
         CREATE UNIQUE INDEX items_uid ON items (uid);
         CREATE TABLE other (id int PRIMARY KEY, v text);
         INSERT INTO items SELECT g, g, 'v' || g FROM generate_series(1, 6) AS g;
         INSERT INTO other SELECT g, 'v' || g FROM generate_series(1, 3) AS g;
         CREATE PUBLICATION tap_postgres FOR TABLE items, other;`,
        fixtureOptions(plugin),
      );
    });
    afterAll(async () => {
      await f?.db.drop();
    });

    // Between two runs the identity is switched to the uid index and back: the run starts with a
    // key the identity carries, but the WAL it reads has a key change without the old id and a
    // delete with only uid. Without a copy the target would keep ids 1 and 2.
    it('the stream is copied again under a new version; the replay equals the table; other streams go on', async () => {
      await f.select({ 'public-items': {}, 'public-other': {} });
      const first = await f.run();
      expect(first.code).toBe(0);
      await f.db.query(
        `ALTER TABLE items REPLICA IDENTITY USING INDEX items_uid;
         UPDATE items SET id = id + 100 WHERE id = 1;
         DELETE FROM items WHERE id = 2;
         INSERT INTO items VALUES (7, 7, 'v7');
         UPDATE other SET v = 'changed' WHERE id = 1;
         ALTER TABLE items REPLICA IDENTITY ${plugin === 'pgoutput' ? 'FULL' : 'DEFAULT'};
         UPDATE items SET v = 'after' WHERE id = 3;`,
      );
      const r = await f.run(lastState(first.msgs));
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(
        /public-items: an UPDATE or DELETE committed at [0-9A-F]+\/[0-9A-F]+ was written while the replica identity of public\.items left out key properties id.*copied again under a new version/,
      );
      const all = [...first.msgs, ...r.msgs];
      expect(recordSchemaErrors(all)).toEqual([]);
      const versions = all.filter(
        (m) => m.type === 'ACTIVATE_VERSION' && m.stream === 'public-items',
      );
      expect(versions).toHaveLength(2);
      const items = all.filter((m) => m.stream === 'public-items');
      const source = await f.db.query<Record<string, unknown>>(`SELECT * FROM items`);
      expect([...replay(items, 'id').values()].sort(byKey(['id']))).toEqual(
        source.sort(byKey(['id'])),
      );
      const other = records(r.msgs).filter((x) => 'id' in x && x.v === 'changed');
      expect(other).toHaveLength(1);

      // The next run resumes from the copy: nothing is copied again.
      await f.db.query(`DELETE FROM items WHERE id = 3`);
      const next = await f.run(lastState(r.msgs));
      expect(next.code).toBe(0);
      expect(next.stderr).not.toMatch(/public-items: .*copied again/);
      expect(records(next.msgs).map((x) => [x.id, !!x._sdc_deleted_at])).toEqual([[3, true]]);
    });
  },
);

function byKey(keys: readonly string[]) {
  return (x: Record<string, unknown>, y: Record<string, unknown>) =>
    JSON.stringify(keys.map((k) => x[k])) < JSON.stringify(keys.map((k) => y[k])) ? -1 : 1;
}
