import { Client } from 'pg';
import { lastState, records, selectStreams, type Message } from './support/catalog-helpers';
import { runTap, tempFiles } from './support/run-tap';
import { killLeftoverTaps, startTap } from './support/tap-process';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * A role whose sessions time out quickly, as production roles often do (`ALTER ROLE … SET`), and
 * a target that takes longer than that to accept records: FULL_TABLE's and INCREMENTAL's COPY
 * waits on the target (under statement_timeout), a snapshot transaction sits idle
 * (idle_in_transaction_session_timeout) and the query connection between FULL_TABLE batches or
 * while LOG_BASED streams (idle_session_timeout). None of them may end the run.
 */
const ROLE = `tap_timeouts_${process.pid}`;
const PASSWORD = 'timeouts-pw-8f2a';
const ROWS = 3000;

describe('role timeouts and a slow target', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;
  let discovered: Parameters<typeof selectStreams>[0];

  beforeAll(async () => {
    db = await createTestDatabase('timeouts');
    await db.query(`
      CREATE ROLE ${ROLE} LOGIN REPLICATION PASSWORD '${PASSWORD}';
      ALTER ROLE ${ROLE} SET statement_timeout = '200ms';
      ALTER ROLE ${ROLE} SET idle_in_transaction_session_timeout = '200ms';
      ALTER ROLE ${ROLE} SET idle_session_timeout = '200ms';
      CREATE TABLE t (id int PRIMARY KEY, updated_at timestamptz NOT NULL, pad text);
      INSERT INTO t SELECT i, '2024-01-01Z'::timestamptz + i * interval '1 second', repeat('x', 1000)
        FROM generate_series(1, ${ROWS}) i;
      CREATE PUBLICATION tap_postgres FOR TABLE t;
      GRANT SELECT ON t TO ${ROLE};
    `);
    config = files.write('config.json', {
      ...db.config,
      user: ROLE,
      password: PASSWORD,
      batch_fetch_limit: 500,
      snapshot_parallelism: 1,
      logical_poll_total_seconds: 2,
    });
    const r = await runTap(['--config', config, '--discover']);
    expect(r.code).toBe(0);
    discovered = JSON.parse(r.stdout);
  });
  afterEach(killLeftoverTaps);
  afterAll(async () => {
    await db.drop();
    const c = new Client({ connectionString: process.env.TAP_POSTGRES_TEST_ADMIN_URL });
    await c.connect();
    await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
    await c.end();
  });

  it('the role really times out: a session of its own is cancelled', async () => {
    const { dbname: database, ...rest } = db.config;
    const c = new Client({ ...rest, database, user: ROLE, password: PASSWORD });
    await c.connect();
    await expect(c.query('SELECT pg_sleep(1)')).rejects.toMatchObject({ code: '57014' });
    await c.end();
  });

  /** Runs the tap, stops reading its stdout for a while after the first RECORD, then drains it. */
  async function slowTarget(argv: string[]): Promise<{ code: number | null; msgs: Message[] }> {
    const tap = startTap(argv);
    await tap.until((m) => m.type === 'RECORD');
    tap.pause();
    await new Promise((r) => setTimeout(r, 1500));
    tap.resume();
    const { code } = await tap.exited;
    if (code !== 0) throw new Error(`exit ${code}: ${tap.stderr()}`);
    return { code, msgs: tap.messages };
  }

  const catalog = (sel: Parameters<typeof selectStreams>[1]) =>
    files.write(`catalog-${Math.random()}.json`, selectStreams(discovered, sel));

  it.each([
    ['FULL_TABLE', { method: 'FULL_TABLE' as const }],
    ['INCREMENTAL', { method: 'INCREMENTAL' as const, replicationKey: 'updated_at' }],
    ['LOG_BASED', { method: 'LOG_BASED' as const }],
  ])('%s: every row arrives, exit 0', async (_name, sel) => {
    const k = catalog({ 'public-t': sel });
    const { msgs } = await slowTarget(['--config', config, '--catalog', k]);
    const ids = records(msgs).map((r) => r.id);
    expect(new Set(ids).size).toBe(ROWS);
    expect(lastState(msgs)?.bookmarks['public-t']).toBeDefined();
  });
});
