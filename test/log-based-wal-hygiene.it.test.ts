import { lastState, records } from './support/catalog-helpers';
import { logBasedFixture, type LogBasedFixture } from './support/log-based-fixture';

/** pg_lsn text → the state's integer form. */
const lsnInt = (text: string) => {
  const [hi, lo] = text.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
};

/**
 * A slot must not hold WAL back because its own tables are quiet: the bookmark of an idle stream
 * follows what the walsender reported as processed, a heartbeat covers a database with no writes
 * at all, and the slot's retained WAL is reported at start.
 */
describe('LOG_BASED WAL hygiene', () => {
  let f: LogBasedFixture;
  let state: { bookmarks: Record<string, Record<string, unknown>> };
  const lsnOf = (s: typeof state) => s.bookmarks['public-quiet']!.lsn as number;

  beforeAll(async () => {
    f = await logBasedFixture(
      'walhyg',
      `CREATE TABLE quiet (id int PRIMARY KEY);
       CREATE TABLE busy (id int PRIMARY KEY, v int);
       CREATE TABLE noisy (id int PRIMARY KEY, v int);
       INSERT INTO quiet VALUES (1);
       CREATE PUBLICATION tap_postgres FOR TABLE quiet, busy;`,
    );
    await f.select({ 'public-quiet': {} });
    const r = await f.run();
    expect(r.code).toBe(0);
    state = lastState(r.msgs)!;
  });
  afterAll(async () => {
    await f.db.drop();
  });

  it('10,000 changes to unselected tables (published or not): the idle stream’s lsn moves past them; the slot’s WAL is reported', async () => {
    const before = lsnOf(state);
    await f.db.query(`INSERT INTO busy SELECT g, 0 FROM generate_series(1, 5000) AS g`);
    await f.db.query(`UPDATE busy SET v = 1`);
    await f.db.query(`INSERT INTO noisy SELECT g, 0 FROM generate_series(1, 10000) AS g`);
    const [{ lsn: after }] = (await f.db.query<{ lsn: string }>(
      `SELECT pg_current_wal_lsn()::text AS lsn`,
    )) as [{ lsn: string }];
    const r = await f.run(state, { wal_retained_warn_mb: 0, logical_poll_total_seconds: 30 });
    expect(r.code).toBe(0);
    expect(records(r.msgs)).toEqual([]);
    const next = lastState(r.msgs)!;
    expect(lsnOf(next)).toBeGreaterThan(before);
    expect(lsnOf(next)).toBeGreaterThanOrEqual(lsnInt(after));
    expect(r.stderr).toMatch(
      new RegExp(
        `replication slot 'tap_postgres_${f.db.name}' retains \\d+ (bytes|kB|MB) of WAL \\(wal_status: (reserved|extended), max_slot_wal_keep_size: unlimited\\)`,
      ),
    );
    expect(r.stderr).toMatch(/WARN .*more than wal_retained_warn_mb \(0 MB\)/);
    expect(r.stderr).toMatch(/WARN max_slot_wal_keep_size is -1 \(unlimited\)/);
    state = next;
  });

  it('heartbeat_interval_seconds: with no write in the database, the bookmark passes the heartbeat', async () => {
    const r = await f.run(
      state,
      { heartbeat_interval_seconds: 1, logical_poll_total_seconds: 30 },
      ['--log-level', 'debug'],
    );
    expect(r.stderr).not.toMatch(/CRITICAL|pg_logical_emit_message failed/);
    expect(r.code).toBe(0);
    const beat = /heartbeat written at ([0-9A-F]+\/[0-9A-F]+)/.exec(r.stderr);
    expect(beat).not.toBeNull();
    const next = lastState(r.msgs)!;
    expect(lsnInt(beat![1]!)).toBeGreaterThan(lsnOf(state));
    // pg_logical_emit_message returns the end of its record; its transaction's commit (which
    // flushes it: a non-transactional message could stay unflushed, and undecoded, on a database
    // with no other writes) comes after, and the walsender reports past it.
    expect(lsnOf(next)).toBeGreaterThanOrEqual(lsnInt(beat![1]!));
  });
});
