import { Client } from 'pg';
import { records, selectStreams } from './support/catalog-helpers';
import { runTap, tempFiles } from './support/run-tap';
import { killLeftoverTaps, startTap } from './support/tap-process';
import { createTestDatabase, type TestDatabase } from './support/test-db';

afterEach(killLeftoverTaps);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Creating the slot on a first LOG_BASED run waits for every transaction that had an id when it
 * started. The run says what it waits for on stderr, and goes on once that transaction ends.
 */
describe('LOG_BASED: creating the slot while a transaction is open', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let argv: string[];

  beforeAll(async () => {
    db = await createTestDatabase('lb_slot_wait');
    await db.query(`
      CREATE TABLE t (id int PRIMARY KEY, v text);
      INSERT INTO t VALUES (1, 'a'), (2, 'b');
      CREATE TABLE other (id int PRIMARY KEY);
      CREATE PUBLICATION tap_postgres FOR TABLE t;`);
    const config = files.write('config.json', { ...db.config, logical_poll_total_seconds: 2 });
    const disc = await runTap(['--config', config, '--discover']);
    const catalog = files.write(
      'catalog.json',
      selectStreams(JSON.parse(disc.stdout), { 'public-t': { method: 'LOG_BASED' } }),
    );
    argv = ['--config', config, '--catalog', catalog];
  });
  afterAll(async () => {
    await db.drop();
  });

  it('says which transaction it waits for, repeats it, and completes once it commits', async () => {
    const open = new Client({ connectionString: db.url });
    await open.connect();
    try {
      await open.query('BEGIN');
      await open.query('INSERT INTO other VALUES (1)');
      const pid = (await open.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!
        .pid;
      const tap = startTap(argv, { TAP_POSTGRES_SLOT_WAIT_REPORT_SECONDS: '1' });
      const waiting = () =>
        tap
          .stderr()
          .split('\n')
          .filter((l) => l.includes("creating replication slot 'tap_postgres_"));
      for (let i = 0; i < 300 && waiting().length < 2; i += 1) await sleep(100);
      const lines = waiting();
      expect(lines.length).toBeGreaterThanOrEqual(2);
      // Other test files' transactions on the shared server may be waited for too.
      for (const l of lines) {
        expect(l).toMatch(
          /^WARN creating replication slot 'tap_postgres_\w+': waiting for \d+ open transactions? to finish \(.*\); waited \d+ s so far, and slot creation cannot complete before (it ends|they end)$/,
        );
        expect(l).toMatch(
          new RegExp(`pid ${pid}, database '${db.name}', open for \\d+ s, idle in transaction`),
        );
      }
      expect(records(tap.messages)).toEqual([]); // nothing is copied before the slot exists
      await open.query('COMMIT');
      const { code } = await tap.exited;
      expect(tap.stderr()).not.toMatch(/CRITICAL/);
      expect(code).toBe(0);
      expect(records(tap.messages).map((r) => r.id)).toEqual([1, 2]);
    } finally {
      await open.end();
    }
  });

  it('says nothing when no transaction holds it up', async () => {
    // The previous run's walsender lets go of the slot shortly after the tap exits.
    for (let i = 0; i < 100; i += 1) {
      const [row] = await db.query<{ active: boolean }>(
        `SELECT active FROM pg_replication_slots WHERE slot_name = $1`,
        [`tap_postgres_${db.name}`],
      );
      if (!row?.active) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await db.query(`SELECT pg_drop_replication_slot('tap_postgres_${db.name}')`);
    const tap = startTap(argv, { TAP_POSTGRES_SLOT_WAIT_REPORT_SECONDS: '1' });
    const { code } = await tap.exited;
    expect(code).toBe(0);
    expect(tap.stderr()).not.toContain(`database '${db.name}'`);
  });
});
