import { parseMessages, records, selectStreams, type Message } from './support/catalog-helpers';
import { runTap, spawnTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/*
 * FULL_TABLE of a large table over several connections (snapshot_parallelism): CTID ranges read
 * in one exported snapshot must give exactly the records of a single-connection run, and a keyset
 * bookmark from an interrupted run must still resume in key order.
 */
describe('FULL_TABLE in CTID ranges over several connections', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let catalog: string;
  const ROWS = 16_000;
  // A STATE at every 10,000 records: the ranged copy's STATEs are checked for resume points.
  const config = (parallelism: number) =>
    files.write(`p${parallelism}.json`, {
      ...db.config,
      snapshot_parallelism: parallelism,
      state_interval_seconds: 0,
    });
  const sorted = (msgs: Message[]) =>
    records(msgs)
      .map((r) => JSON.stringify(r))
      .sort();

  beforeAll(async () => {
    db = await createTestDatabase('parallel');
    // fillfactor 10 spreads few rows over many blocks: big enough for 3 ranges of 1,024 blocks.
    await db.query(
      `CREATE TABLE big (id int PRIMARY KEY, pad text, n numeric, at timestamptz) WITH (fillfactor = 10)`,
    );
    await db.query(
      `INSERT INTO big SELECT i, repeat(md5(i::text), 3), i / 7.0, TIMESTAMPTZ '2024-01-01' + i * interval '1 minute'
         FROM generate_series(1, ${ROWS}) i`,
    );
    // Rows moved by updates (new tuple versions elsewhere in the heap) are read once all the same.
    await db.query(`UPDATE big SET pad = 'moved' WHERE id % 97 = 0`);
    const [size] = await db.query<{ blocks: string }>(
      `SELECT pg_relation_size('big') / current_setting('block_size')::int AS blocks`,
    );
    expect(Number(size!.blocks)).toBeGreaterThanOrEqual(3 * 1024);
    const disc = await runTap(['--config', config(1), '--discover']);
    catalog = files.write(
      'catalog.json',
      selectStreams(JSON.parse(disc.stdout), { 'public-big': { method: 'FULL_TABLE' } }),
    );
  });
  afterAll(async () => {
    await db.drop();
  });

  it('emits the same records as one connection, each once', async () => {
    const one = await runTap(['--config', config(1), '--catalog', catalog]);
    const three = await spawnTap(['--config', config(3), '--catalog', catalog]);
    expect(one.code).toBe(0);
    expect(three.code).toBe(0);
    expect(one.stderr).not.toMatch(/CTID ranges/);
    expect(three.stderr).toMatch(/copying in 3 CTID ranges over 3 connections/);
    expect(three.stderrLines.filter((l) => !l.startsWith('INFO'))).toEqual([]);
    const a = sorted(parseMessages(one.stdout));
    const b = sorted(parseMessages(three.stdout));
    expect(a).toHaveLength(ROWS);
    expect(b).toEqual(a);
    // Not in key order (ranges interleave), and no resume point in any STATE.
    const msgs = parseMessages(three.stdout);
    const states = msgs.filter((m) => m.type === 'STATE');
    expect(states.length).toBeGreaterThan(1);
    for (const s of states)
      expect(s.value!.bookmarks['public-big']).not.toHaveProperty('last_pk_fetched');
    const versions = new Set(msgs.filter((m) => m.type === 'RECORD').map((m) => m.version));
    expect(versions.size).toBe(1);
    expect(msgs.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => m.version)).toEqual([
      ...versions,
      ...versions,
    ]);
  });

  it("copies a LOG_BASED stream's first snapshot in ranges too, with the same records", async () => {
    await db.query(`CREATE PUBLICATION tap_postgres FOR TABLE big`);
    const disc = await runTap(['--config', config(1), '--discover']);
    const lbCatalog = files.write(
      'lb-catalog.json',
      selectStreams(JSON.parse(disc.stdout), { 'public-big': { method: 'LOG_BASED' } }),
    );
    const lb = (parallelism: number) =>
      files.write(`lb${parallelism}.json`, {
        ...db.config,
        snapshot_parallelism: parallelism,
        replication_slot: `lb_${parallelism}_${db.name}`,
        logical_poll_total_seconds: 1,
      });
    const one = await runTap(['--config', lb(1), '--catalog', lbCatalog]);
    const three = await spawnTap(['--config', lb(3), '--catalog', lbCatalog]);
    expect(one.code).toBe(0);
    expect(three.code).toBe(0);
    expect(one.stderr).not.toMatch(/CTID ranges/);
    expect(three.stderr).toMatch(/copying in 3 CTID ranges over 3 connections/);
    // Each run's records carry its own slot's consistent point: compare them without it.
    const rows = (stdout: string) =>
      records(parseMessages(stdout)).map(({ _sdc_lsn: lsn, ...r }) => {
        expect(typeof lsn).toBe('number');
        expect(r._sdc_deleted_at).toBeNull();
        return JSON.stringify(r);
      });
    const a = rows(one.stdout).sort();
    expect(a).toHaveLength(ROWS);
    expect(rows(three.stdout).sort()).toEqual(a);
    expect(new Set(records(parseMessages(three.stdout)).map((r) => r._sdc_lsn)).size).toBe(1);
    // The stream then reads its slot: the bookmark is the snapshot's LSN.
    const state = parseMessages(three.stdout)
      .filter((m) => m.type === 'STATE')
      .pop()!;
    expect(state.value!.bookmarks['public-big']).toMatchObject({
      last_replication_method: 'LOG_BASED',
    });
  });

  it('resumes a keyset bookmark in key order on one connection', async () => {
    const state = files.write('state.json', {
      bookmarks: {
        'public-big': {
          last_replication_method: 'FULL_TABLE',
          version: 1,
          last_pk_fetched: { id: 12000 },
        },
      },
    });
    const r = await runTap(['--config', config(3), '--catalog', catalog, '--state', state]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/CTID ranges/);
    const ids = records(parseMessages(r.stdout)).map((x) => x.id as number);
    expect(ids).toEqual(Array.from({ length: ROWS - 12000 }, (_, i) => 12001 + i));
  });
});
