import { lastState, replay, type Message } from './support/catalog-helpers';
import { wal2jsonSkipped } from './support/debian-server';
import {
  logBasedFixture,
  resumingRuns,
  type LogBasedFixture,
  type Run,
} from './support/log-based-fixture';
import { recordSchemaErrors } from './support/record-schemas';

/**
 * Partition maintenance publishes nothing through the partitioned table: TRUNCATE of one
 * partition, ATTACH PARTITION of a loaded table, DETACH PARTITION. The next run notices the
 * changed partition set (or a partition's new storage) and copies the table again under a new
 * version, so the target holds the table's rows again.
 */
type Plugin = 'pgoutput' | 'wal2json';
const plugins: Plugin[] = wal2jsonSkipped() ? ['pgoutput'] : ['pgoutput', 'wal2json'];

const rowsOf = (runs: Message[][]) =>
  [
    ...replay(
      runs.flat().filter((m) => m.stream === 'public-p'),
      'id',
    ).values(),
  ]
    .map((r) => `${String(r.id)}:${String(r.v)}`)
    .sort();

describe.each(plugins)('LOG_BASED partition maintenance (%s)', (plugin) => {
  let f: LogBasedFixture;
  let runs: Message[][] = [];
  let run: () => Promise<Run>;
  const source = async () =>
    (await f.db.query<{ row: string }>(`SELECT id::text || ':' || v AS row FROM p`))
      .map((x) => x.row)
      .sort();

  beforeAll(async () => {
    f = await logBasedFixture(
      `parts_${plugin}`,
      `CREATE TABLE p (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
       CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100);
       CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (100) TO (200);
       INSERT INTO p SELECT i, 'v' || i FROM generate_series(1, 150, 7) i;
       CREATE PUBLICATION tap_postgres FOR TABLE p WITH (publish_via_partition_root = true);`,
      { plugin },
    );
    await f.select({ 'public-p': {} });
    ({ runs, run } = resumingRuns(f));
    await run();
  });
  afterAll(async () => {
    await f.db.drop();
  });

  it('changes in partitions, and rows moving between partitions, arrive under the parent', async () => {
    await f.db.query(`INSERT INTO p VALUES (2, 'two'), (102, 'one-o-two')`);
    await f.db.query(`UPDATE p SET v = 'moved', id = 150 WHERE id = 1`);
    await f.db.query(`DELETE FROM p WHERE id = 8`);
    const r = await run();
    expect(r.msgs.some((m) => m.type === 'ACTIVATE_VERSION')).toBe(false);
    expect(rowsOf(runs)).toEqual(await source());
  });

  it('TRUNCATE of one partition: copied again, the other partition kept', async () => {
    await f.db.query(`TRUNCATE p1`);
    const r = await run();
    expect(r.stderr).toMatch(/public-p: a partition was attached, detached or truncated/);
    expect(r.msgs.filter((m) => m.type === 'ACTIVATE_VERSION')).toHaveLength(1);
    expect(rowsOf(runs)).toEqual(await source());
  });

  it('ATTACH PARTITION of a loaded table: copied again with its rows', async () => {
    await f.db.query(`CREATE TABLE p3 (id int PRIMARY KEY, v text)`);
    await f.db.query(`INSERT INTO p3 VALUES (201, 'attached'), (250, 'attached too')`);
    await f.db.query(`ALTER TABLE p ATTACH PARTITION p3 FOR VALUES FROM (200) TO (300)`);
    await run();
    expect(rowsOf(runs)).toEqual(await source());
    expect(rowsOf(runs)).toContain('201:attached');
  });

  it('DETACH PARTITION: copied again without its rows; later changes stream as usual', async () => {
    await f.db.query(`ALTER TABLE p DETACH PARTITION p2`);
    await run();
    expect(rowsOf(runs)).toEqual(await source());
    await f.db.query(`INSERT INTO p VALUES (3, 'three')`);
    const r = await run();
    expect(r.msgs.filter((m) => m.type === 'RECORD')).toHaveLength(1);
    expect(rowsOf(runs)).toEqual(await source());
  });
});

// pgoutput publishes nothing for a partition's TRUNCATE: only the bookmark's `partitions` tells,
// so a state without them (an older version's) cannot.
describe.each(plugins.filter((p) => p === 'wal2json'))(
  'LOG_BASED: a partition truncated, met in the WAL (%s)',
  (plugin) => {
    it("a state without partitions (an older tap's): the stream is copied again after streaming", async () => {
      const f = await logBasedFixture(
        `partial_${plugin}`,
        `CREATE TABLE p (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
       CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100);
       CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (100) TO (200);
       INSERT INTO p SELECT i, 'v' || i FROM generate_series(1, 150, 7) i;
       CREATE PUBLICATION tap_postgres FOR TABLE p WITH (publish_via_partition_root = true);`,
        { plugin },
      );
      try {
        await f.select({ 'public-p': {} });
        const first = await f.run();
        expect(first.code).toBe(0);
        const s = lastState(first.msgs)!;
        const { partitions: _p, ...older } = s.bookmarks['public-p']!;
        await f.db.query(`INSERT INTO p VALUES (2, 'two')`);
        await f.db.query(`TRUNCATE p1`);
        await f.db.query(`INSERT INTO p VALUES (3, 'three')`);
        const r = await f.run({ ...s, bookmarks: { 'public-p': older } });
        expect(r.stderr).not.toMatch(/CRITICAL/);
        expect(r.code).toBe(0);
        expect(recordSchemaErrors(r.msgs)).toEqual([]);
        const rows = [
          ...replay(
            [...first.msgs, ...r.msgs].filter((m) => m.stream === 'public-p'),
            'id',
          ).values(),
        ]
          .map((x) => `${String(x.id)}:${String(x.v)}`)
          .sort();
        const src = (await f.db.query<{ row: string }>(`SELECT id::text || ':' || v AS row FROM p`))
          .map((x) => x.row)
          .sort();
        expect(rows).toEqual(src);
        // wal2json names the truncated partition: the run copies the table again at its end.
        expect(r.stderr).toMatch(/public-p: a TRUNCATE of some of its partitions committed at/);
      } finally {
        await f.db.drop();
      }
    });
  },
);
