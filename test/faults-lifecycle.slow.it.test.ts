import { lastState, records, type Message } from './support/catalog-helpers';
import { faultFixture, sameRows, target } from './support/fault-fixture';
import { startTap, killLeftoverTaps } from './support/tap-process';

afterEach(killLeftoverTaps);

/**
 * Faults: a consumer that stops reading for longer than wal_sender_timeout, an output
 * pipe that closes (the target died), and SIGTERM / SIGINT. Each ends with a replay of everything
 * the target read that equals the table.
 */

const nthRecord = (k: number) => {
  let n = 0;
  return (m: Message) => m.type === 'RECORD' && (n += 1) === k;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** LOG_BASED runs that keep waiting for changes (so only the fault ends them). */
const ALIVE = { break_at_end_lsn: false, logical_poll_total_seconds: 60 };
const NO_RETRY = { connection_retries: 0 };

let compared = 0;
afterAll(() => console.log(`lifecycle faults: ${compared} rows compared, none lost`));

/** LOG_BASED: the first run's copy, then `txs` transactions of 10 rows each waiting to stream. */
async function streamingFixture(prefix: string, txs: number, setup = '') {
  const f = await faultFixture(prefix, 'LOG_BASED', 10);
  if (setup) await f.db.query(setup);
  const first = startTap(f.args());
  expect((await first.exited).code).toBe(0);
  for (let i = 0; i < txs; i += 1) await f.insert(10);
  await f.update(9, 4);
  await f.remove(11, 3);
  await f.slotReleased();
  return { f, first: first.messages, state: lastState(first.messages)! };
}

describe('faults: a consumer paused longer than wal_sender_timeout', () => {
  it('status updates keep the walsender alive; the run completes with nothing lost', async () => {
    // wal_sender_timeout is a per-session setting (PG 12+): only this database's sessions get 2 s.
    const { f, first, state } = await streamingFixture('fl_timeout', 300);
    try {
      await f.db.query(`ALTER DATABASE "${f.db.name}" SET wal_sender_timeout = '2s'`);
      const tap = startTap(f.args(state, NO_RETRY));
      await tap.until(nthRecord(50));
      tap.pause();
      const walsender = async () =>
        (
          await f.db.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'walsender'`,
          )
        ).map((r) => r.pid);
      const before = await walsender();
      expect(before).toHaveLength(1);
      await sleep(7000); // more than three timeouts without reading a byte
      expect(await walsender()).toEqual(before);
      tap.resume();
      const { code } = await tap.exited;
      expect(tap.stderr()).not.toMatch(/connection lost|CRITICAL/);
      expect(code).toBe(0);
      compared += sameRows(target([...first, ...tap.messages]), await f.source());
    } finally {
      await f.drop();
    }
  }, 90_000);
});

describe('faults: the output pipe closes', () => {
  it('FULL_TABLE: exits promptly with 1', async () => {
    const f = await faultFixture('fl_pipe_full', 'FULL_TABLE', 2000);
    try {
      const tap = startTap(f.args());
      await tap.until(nthRecord(60));
      const t0 = Date.now();
      tap.child.stdout.destroy();
      const { code } = await tap.exited;
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(code).toBe(1);
      expect(tap.stderr()).toMatch(/stdout closed .*nothing more was acknowledged/);
    } finally {
      await f.drop();
    }
  });

  it.each([['next_run'], ['on_emit']])(
    'LOG_BASED (ack_mode %s): exits promptly with 1; the slot is not confirmed any further',
    async (ackMode) => {
      const { f, state } = await streamingFixture('fl_pipe_log', 200);
      try {
        const before = await f.confirmed();
        const tap = startTap(f.args(state, { ...ALIVE, ack_mode: ackMode }));
        await tap.until(nthRecord(60));
        tap.pause();
        // The tap blocks once the pipe is full. on_emit confirms what stdout took, and a pipe
        // holds output its reader never read (lost when the reader dies, as on_emit warns), so
        // the bound is what was confirmed when the pipe closed: nothing after it.
        let atClose = await f.confirmed();
        for (let i = 0; i < 40; i += 1) {
          await new Promise((r) => setTimeout(r, 100));
          const now = await f.confirmed();
          if (now === atClose && i >= 5) break;
          atClose = now;
        }
        const t0 = Date.now();
        tap.child.stdout.destroy();
        const { code } = await tap.exited;
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(code).toBe(1);
        await f.slotReleased();
        const read = lastState(tap.messages)?.bookmarks['public-t']?.lsn as number | undefined;
        const after = await f.confirmed();
        // next_run may confirm the incoming state's lsn (the first run's last STATE can be past the
        // slot's position, moved by keepalives), never more.
        const incoming = state.bookmarks['public-t']!.lsn as number;
        if (ackMode === 'next_run') expect(after!).toBeLessThanOrEqual(Math.max(before!, incoming));
        else
          expect(after!).toBeLessThanOrEqual(Math.max(before!, incoming, read ?? 0, atClose ?? 0));
      } finally {
        await f.drop();
      }
    },
  );
});

describe('faults: SIGTERM / SIGINT', () => {
  /** Signals the tap once it is mid-run (blocked on its output), then reads on to the end. */
  async function signalMidRun(args: string[], signal: NodeJS.Signals) {
    const tap = startTap(args);
    await tap.until(nthRecord(60));
    tap.pause();
    const t0 = Date.now();
    tap.child.kill(signal);
    tap.resume();
    const { code } = await tap.exited;
    return { code, ms: Date.now() - t0, messages: tap.messages, stderr: tap.stderr() };
  }

  it.each([
    ['FULL_TABLE' as const, 'SIGTERM' as const],
    ['FULL_TABLE' as const, 'SIGINT' as const],
    ['INCREMENTAL' as const, 'SIGTERM' as const],
  ])(
    '%s, %s: stops after the batch, final STATE, exit 0; the next run completes',
    async (method, signal) => {
      const f = await faultFixture(`fl_sig_${method.toLowerCase()}`, method, 2000);
      try {
        const r = await signalMidRun(f.args(), signal);
        expect(r.code).toBe(0);
        expect(r.ms).toBeLessThan(10_000);
        expect(r.stderr).toMatch(new RegExp(`${signal} received`));
        expect(r.stderr).toMatch(/stopped by .*the final STATE above resumes the run/);
        expect(r.messages[r.messages.length - 1]!.type).toBe('STATE');
        expect(records(r.messages).length).toBeLessThan(2000); // it did stop early
        const state = lastState(r.messages)!;
        expect(state.currently_syncing).toBe('public-t');
        const next = startTap(f.args(state));
        expect((await next.exited).code).toBe(0);
        compared += sameRows(target([...r.messages, ...next.messages]), await f.source());
      } finally {
        await f.drop();
      }
    },
  );

  /**
   * LOG_BASED decodes a backlog faster than a loaded test reads: reading until the n-th record
   * could let the whole backlog through before the signal. So nothing is read until the tap is
   * streaming and blocked on a full pipe, then the signal comes, then reading resumes.
   */
  async function signalWhileBlocked(
    f: Awaited<ReturnType<typeof streamingFixture>>['f'],
    args: string[],
    signal: NodeJS.Signals,
  ) {
    const tap = startTap(args);
    tap.pause();
    const active = async () =>
      (
        await f.db.query<{ active: boolean }>(
          'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
          [f.slotName],
        )
      )[0]?.active === true;
    for (let i = 0; i < 400 && !(await active()); i += 1) await sleep(50);
    // The walsender sends and the tap writes until the pipe is full: this side's paused stream
    // holds its high-water mark, the pipe fills behind it, and the tap waits for room. A fixed
    // wait was not enough on a loaded machine, where the tap had not started streaming yet.
    const out = tap.child.stdout;
    for (let i = 0; i < 300 && out.readableLength < out.readableHighWaterMark; i += 1) {
      await sleep(50);
    }
    await sleep(500);
    const t0 = Date.now();
    tap.child.kill(signal);
    tap.resume();
    const { code } = await tap.exited;
    return { code, ms: Date.now() - t0, messages: tap.messages, stderr: tap.stderr() };
  }

  it.each([['SIGTERM' as const], ['SIGINT' as const]])(
    'LOG_BASED, %s: finishes the transaction it is writing, final STATE, exit 0; the next run completes',
    async (signal) => {
      const { f, first, state } = await streamingFixture('fl_sig_log', 200);
      try {
        const r = await signalWhileBlocked(f, f.args(state, ALIVE), signal);
        expect(r.stderr).toMatch(new RegExp(`${signal} received`));
        expect(records(r.messages).length).toBeGreaterThan(0); // it was streaming
        expect(r.code).toBe(0);
        expect(r.ms).toBeLessThan(10_000);
        expect(r.messages[r.messages.length - 1]!.type).toBe('STATE');
        const recs = records(r.messages);
        expect(recs.length).toBeLessThan(2000);
        const stopLsn = lastState(r.messages)!.bookmarks['public-t']!.lsn as number;
        // Whole transactions only: the final STATE covers every record printed.
        expect(Math.max(...recs.map((x) => x._sdc_lsn as number))).toBeLessThanOrEqual(stopLsn);
        expect(await f.confirmed()).toBe(state.bookmarks['public-t']!.lsn);
        await f.slotReleased();
        const next = startTap(f.args(lastState(r.messages)!));
        expect((await next.exited).code).toBe(0);
        expect(records(next.messages).length).toBeGreaterThan(0);
        compared += sameRows(target([...first, ...r.messages, ...next.messages]), await f.source());
      } finally {
        await f.drop();
      }
    },
  );
});
