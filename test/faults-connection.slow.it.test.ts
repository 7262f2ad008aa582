import { lastState, records, type Message } from './support/catalog-helpers';
import { faultFixture, sameRows, target, type FaultFixture } from './support/fault-fixture';
import { startTap, killLeftoverTaps } from './support/tap-process';

afterEach(killLeftoverTaps);

/**
 * Fault: the server terminates the tap's connections (`pg_terminate_backend`) during a
 * copy and during streaming. With retries the tap reconnects and resumes from its in-memory
 * bookmarks; without, it exits 1 and the last STATE it printed lets the next run complete. Either
 * way the replay of everything printed equals the table.
 */

const isRecord = (m: Message) => m.type === 'RECORD';
const nth = (k: number) => {
  let n = 0;
  return (m: Message) => isRecord(m) && (n += 1) === k;
};

/** Terminates the tap's backends in the fixture's database: query sessions, walsenders or both. */
async function terminate(f: FaultFixture, which: 'query' | 'walsender' | 'all'): Promise<number> {
  const rows = await f.db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'tap-postgres'
        AND ($1 = 'all' OR ($1 = 'walsender') = (backend_type = 'walsender'))`,
    [which],
  );
  for (const { pid } of rows) await f.db.query('SELECT pg_terminate_backend($1)', [pid]);
  return rows.length;
}

/**
 * Runs the tap, stops reading after `after` records (so the tap is surely mid-run, blocked on its
 * output), terminates its connections, reads on to the end.
 */
async function runAndTerminate(
  f: FaultFixture,
  args: string[],
  which: 'query' | 'walsender' | 'all',
  after = 60,
  /** Runs after the termination, before the tap's output is read again. */
  afterKill: () => Promise<void> = async () => {},
) {
  const tap = startTap(args);
  await tap.until(nth(after));
  tap.pause();
  const killed = await terminate(f, which);
  await afterKill();
  tap.resume();
  const { code } = await tap.exited;
  return { code, killed, messages: tap.messages, stderr: tap.stderr() };
}

const RETRY = { connection_retries: 3, retry_backoff_seconds: 0.2 };

/**
 * INCREMENTAL reads its stream with one COPY: a table the socket buffers can hold (2,000 rows of
 * this fixture are under 1 MB) is all sent before the connection ends, so nothing is lost to retry.
 * About 25 MB of rows keeps the server sending while the tap is blocked on its output.
 */
const rowsToOutlastBuffers = (method: 'FULL_TABLE' | 'INCREMENTAL') =>
  method === 'INCREMENTAL' ? 60_000 : 2000;
const NO_RETRY = { connection_retries: 0 };

describe('faults: connections terminated by the server', () => {
  let compared = 0;
  afterAll(() => console.log(`terminated connections: ${compared} rows compared, none lost`));

  it.each([['FULL_TABLE' as const], ['INCREMENTAL' as const]])(
    '%s: retries with backoff and resumes from its bookmark',
    async (method) => {
      const f = await faultFixture(
        `fc_${method.toLowerCase()}`,
        method,
        rowsToOutlastBuffers(method),
      );
      try {
        const r = await runAndTerminate(f, f.args(undefined, RETRY), 'query');
        expect(r.killed).toBeGreaterThan(0);
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/connection lost: .*reconnecting in 0\.2 s \(retry 1 of 3\)/);
        compared += sameRows(target(r.messages), await f.source());
      } finally {
        await f.drop();
      }
    },
  );

  it('FULL_TABLE without retries: exits 1; its last STATE resumes and the next run completes', async () => {
    const f = await faultFixture('fc_full_once', 'FULL_TABLE', 2000);
    try {
      const r = await runAndTerminate(f, f.args(undefined, NO_RETRY), 'query');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/CRITICAL syncing public-t failed/);
      const state = lastState(r.messages)!;
      expect(state.currently_syncing).toBe('public-t');
      expect(state.bookmarks['public-t']!.last_pk_fetched).toBeDefined();
      const tap = startTap(f.args(state, NO_RETRY));
      expect((await tap.exited).code).toBe(0);
      // The resumed run starts after the bookmark: fewer rows than the table.
      expect(records(tap.messages).length).toBeLessThan(2000);
      compared += sameRows(target([...r.messages, ...tap.messages]), await f.source());
    } finally {
      await f.drop();
    }
  });

  it('LOG_BASED copy: the terminated copy is taken again; nothing lost', async () => {
    const f = await faultFixture('fc_log_copy', 'LOG_BASED', 2000);
    try {
      const r = await runAndTerminate(f, f.args(undefined, RETRY), 'all');
      expect(r.killed).toBeGreaterThan(0);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/connection lost/);
      compared += sameRows(target(r.messages), await f.source());
    } finally {
      await f.drop();
    }
  });

  describe('LOG_BASED streaming', () => {
    let f: FaultFixture;
    beforeEach(async () => {
      f = await faultFixture('fc_log_stream', 'LOG_BASED', 10);
    });
    afterEach(async () => {
      await f.drop();
    });

    /**
     * Changes committed after the termination, with a run that does not stop at the WAL position
     * seen at its start: the tap must use a connection after it was terminated. (A fast tap may
     * otherwise have every change of the backlog in its socket buffer before the kill, and finish
     * without noticing it.)
     */
    const STREAM_ON = { break_at_end_lsn: false };
    const writeAfterKill = async () => {
      for (let i = 0; i < 5; i += 1) await f.insert(10);
    };

    /** A first run (the copy), then 200 transactions of 10 rows each to stream. */
    async function copyThenWrite(): Promise<Message[]> {
      const first = startTap(f.args(undefined, RETRY));
      expect((await first.exited).code).toBe(0);
      for (let i = 0; i < 200; i += 1) await f.insert(10);
      await f.update(10, 3);
      await f.remove(10, 7);
      return first.messages;
    }

    it('the walsender terminated: reconnects from the confirmed position, confirms nothing more', async () => {
      const first = await copyThenWrite();
      const state = lastState(first)!;
      const r = await runAndTerminate(
        f,
        f.args(state, { ...RETRY, ...STREAM_ON }),
        'walsender',
        60,
        writeAfterKill,
      );
      expect(r.killed).toBe(1);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/LOG_BASED replication failed: connection lost/);
      expect(await f.confirmed()).toBe(state.bookmarks['public-t']!.lsn);
      const lsns = records(r.messages).map((x) => x._sdc_lsn as number);
      expect(lsns).toEqual([...lsns].sort((a, b) => a - b)); // no change emitted twice out of order
      compared += sameRows(target([...first, ...r.messages]), await f.source());
    });

    it('without retries: exits 1, the slot stays at the incoming state, the next run completes', async () => {
      const first = await copyThenWrite();
      const state = lastState(first)!;
      const r = await runAndTerminate(
        f,
        f.args(state, { ...NO_RETRY, ...STREAM_ON }),
        'all',
        60,
        writeAfterKill,
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/CRITICAL LOG_BASED replication failed/);
      expect(await f.confirmed()).toBe(state.bookmarks['public-t']!.lsn);
      const resume = lastState(r.messages)!;
      await f.slotReleased();
      const tap = startTap(f.args(resume, NO_RETRY));
      expect((await tap.exited).code).toBe(0);
      compared += sameRows(target([...first, ...r.messages, ...tap.messages]), await f.source());
    });
  });
});
