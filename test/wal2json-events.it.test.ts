import { lastState, records, replay, type Message } from './support/catalog-helpers';
import { wal2jsonServerUrl, wal2jsonSkipped } from './support/debian-server';
import { logBasedFixture, type LogBasedFixture } from './support/log-based-fixture';
import { recordSchemaErrors } from './support/record-schemas';

/**
 * wal2json has no publication: it names the partition a change lands in, and the type as
 * format_type prints it. The tap must still deliver a partitioned table as one stream, and the
 * columns' types as discovery saw them.
 */
const describeWal2json = wal2jsonSkipped() ? describe.skip : describe;
const WAL2JSON = { logical_decoding_plugin: 'wal2json' };

const byKey =
  (keys: readonly string[]) => (x: Record<string, unknown>, y: Record<string, unknown>) =>
    JSON.stringify(keys.map((k) => x[k])) < JSON.stringify(keys.map((k) => y[k])) ? -1 : 1;

describeWal2json('wal2json: a partitioned table', () => {
  let f: LogBasedFixture;
  let all: Message[] = [];
  let state: unknown;
  const KEYS = ['id', 'region'];

  beforeAll(async () => {
    f = await logBasedFixture(
      'w2jparts',
      `CREATE TABLE measures (id int, region text, v int, PRIMARY KEY (id, region))
         PARTITION BY LIST (region);
       CREATE TABLE measures_eu PARTITION OF measures FOR VALUES IN ('eu');
       CREATE TABLE measures_us PARTITION OF measures FOR VALUES IN ('us') PARTITION BY RANGE (id);
       CREATE TABLE measures_us_low PARTITION OF measures_us FOR VALUES FROM (MINVALUE) TO (100);
       CREATE TABLE measures_us_high PARTITION OF measures_us FOR VALUES FROM (100) TO (MAXVALUE);
       INSERT INTO measures VALUES (1, 'eu', 1), (2, 'us', 2), (150, 'us', 3);`,
      { admin: wal2jsonServerUrl(), config: WAL2JSON },
    );
    await f.select({ 'public-measures': {} });
    const r = await f.run();
    expect(r.stderr).not.toMatch(/CRITICAL/);
    all = r.msgs;
    state = lastState(r.msgs);
  });
  afterAll(async () => {
    await f?.db.drop();
  });

  const target = () => [...replay(all, KEYS).values()].sort(byKey(KEYS));
  const source = async () =>
    (await f.db.query<Record<string, unknown>>(`SELECT * FROM measures`)).sort(byKey(KEYS));

  it("changes in every partition (two levels deep) arrive under the parent's stream, moves between partitions included", async () => {
    await f.db.query(`
      INSERT INTO measures VALUES (3, 'eu', 3), (4, 'us', 4), (200, 'us', 5);
      UPDATE measures SET v = v + 10 WHERE id IN (1, 2, 200);
      DELETE FROM measures WHERE id = 150;
      UPDATE measures SET region = 'us' WHERE id = 3;
      UPDATE measures SET id = 120 WHERE id = 4;`);
    const r = await f.run(state);
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    all.push(...r.msgs);
    state = lastState(r.msgs);
    expect(recordSchemaErrors(all)).toEqual([]);
    // 3 inserts, 3 updates, 1 delete, 2 moves of a delete and an insert each
    expect(records(r.msgs, 'public-measures')).toHaveLength(11);
    expect(target()).toEqual(await source());
  });

  it('a TRUNCATE of one partition is not a truncate of the stream: the table is copied again; of the parent: a new table version', async () => {
    await f.db.query(`TRUNCATE measures_us_high`);
    const r = await f.run(state);
    expect(r.code).toBe(0);
    // The partition's new storage tells the run; the copy holds the other partitions' rows.
    expect(r.stderr).toMatch(/public-measures: a partition was attached, detached or truncated/);
    expect(r.msgs.filter((m) => m.type === 'ACTIVATE_VERSION')).toHaveLength(1);
    state = lastState(r.msgs);
    all.push(...r.msgs);
    expect(target()).toEqual(await source());

    await f.db.query(`TRUNCATE measures; INSERT INTO measures VALUES (7, 'eu', 7)`);
    const t = await f.run(state);
    expect(t.code).toBe(0);
    expect(t.msgs.filter((m) => m.type === 'ACTIVATE_VERSION')).toHaveLength(1);
    all.push(...t.msgs);
    expect(target()).toEqual(await source());
  });
});

describeWal2json('wal2json: types with modifiers', () => {
  let f: LogBasedFixture;

  beforeAll(async () => {
    f = await logBasedFixture(
      'w2jtypmod',
      `CREATE TABLE priced (id int PRIMARY KEY, amount numeric(12,2), code varchar(10), at timestamp(3));
       INSERT INTO priced VALUES (1, 1.50, 'a', '2026-01-01 00:00:00.123');`,
      { admin: wal2jsonServerUrl(), config: WAL2JSON },
    );
    await f.select({ 'public-priced': {} });
  });
  afterAll(async () => {
    await f?.db.drop();
  });

  it('consecutive runs keep numeric(12,2) and varchar(10): no type change, the same SCHEMA', async () => {
    const first = await f.run();
    expect(first.code).toBe(0);
    const schemas = (msgs: Message[]) =>
      msgs.filter((m) => m.type === 'SCHEMA').map((m) => m.schema);
    const [original] = schemas(first.msgs);
    let state = lastState(first.msgs);
    for (let i = 2; i <= 3; i++) {
      await f.db.query(
        `INSERT INTO priced VALUES (${i}, 12.25, 'b', now()); UPDATE priced SET amount = 3.75, code = 'c' WHERE id = 1`,
      );
      const r = await f.run(state);
      expect(r.code).toBe(0);
      expect(r.stderr).not.toMatch(/changed type/);
      expect(schemas(r.msgs)).toEqual([original]);
      expect(records(r.msgs)).toHaveLength(2);
      state = lastState(r.msgs);
    }
  });
});
