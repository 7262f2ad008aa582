import { lastState, records, type Message } from './support/catalog-helpers';
import { faultFixture, sameRows, target, type FaultFixture } from './support/fault-fixture';
import { startRestartableServer, type RestartableServer } from './support/restartable-server';
import { killLeftoverTaps, startTap } from './support/tap-process';

afterEach(killLeftoverTaps);

/**
 * Fault: the server restarts (fast shutdown) in the middle of a run, on a server of
 * this file's own. The tap retries (the server refuses connections, then says it is starting up)
 * and completes; without retries it exits 1 with a STATE from which the next run completes.
 */

const nthRecord = (k: number) => {
  let n = 0;
  return (m: Message) => m.type === 'RECORD' && (n += 1) === k;
};
const RETRY = { connection_retries: 6, retry_backoff_seconds: 0.5 };

let server: RestartableServer;
let compared = 0;
beforeAll(async () => {
  server = await startRestartableServer();
}, 120_000);
afterAll(async () => {
  await server?.stop();
  console.log(`server restarts: ${compared} rows compared, none lost`);
});

/**
 * Reads `after` records, holding the tap there (blocked on its output, so surely mid-run) while
 * the restart begins, then reads on. Reading must go on during the shutdown: PostgreSQL's fast
 * shutdown waits for a logical walsender's client, which the tap lets go of at its next boundary.
 */
async function restartMidRun(args: string[], after = 60) {
  const tap = startTap(args);
  await tap.until(nthRecord(after));
  tap.pause();
  const restarted = server.restart();
  tap.resume();
  const [{ code }] = await Promise.all([tap.exited, restarted]);
  return { code, messages: tap.messages, stderr: tap.stderr() };
}

describe('faults: the server restarts mid-run', () => {
  let f: FaultFixture;
  afterEach(async () => {
    await f?.drop();
  });

  it.each([['FULL_TABLE' as const], ['INCREMENTAL' as const]])(
    '%s: reconnects once the server is back and completes',
    async (method) => {
      // INCREMENTAL's one COPY must outlast the socket buffers (2,000 rows are under 1 MB), or the
      // server has sent it all before it goes down and there is nothing to reconnect for.
      const rows = method === 'INCREMENTAL' ? 60_000 : 2000;
      f = await faultFixture(`fr_${method.toLowerCase()}`, method, rows, {}, server.url);
      const r = await restartMidRun(f.args(undefined, RETRY));
      expect(r.stderr).toMatch(/connection lost/);
      expect(r.code).toBe(0);
      compared += sameRows(target(r.messages), await f.source());
    },
    120_000,
  );

  it('LOG_BASED streaming: reconnects, resumes after the last emitted commit, confirms nothing more', async () => {
    f = await faultFixture('fr_log', 'LOG_BASED', 10, {}, server.url);
    const first = startTap(f.args());
    expect((await first.exited).code).toBe(0);
    const state = lastState(first.messages)!;
    for (let i = 0; i < 200; i += 1) await f.insert(10);
    await f.update(9, 2);
    await f.remove(13, 5);
    await f.slotReleased();
    const r = await restartMidRun(f.args(state, RETRY));
    expect(r.stderr).toMatch(/LOG_BASED replication failed: connection lost/);
    expect(r.code).toBe(0);
    expect(await f.confirmed()).toBe(state.bookmarks['public-t']!.lsn);
    const lsns = records(r.messages).map((x) => x._sdc_lsn as number);
    expect(lsns).toEqual([...lsns].sort((a, b) => a - b));
    compared += sameRows(target([...first.messages, ...r.messages]), await f.source());
  }, 120_000);

  it('FULL_TABLE without retries: exits 1; its last STATE resumes and the next run completes', async () => {
    f = await faultFixture('fr_once', 'FULL_TABLE', 2000, {}, server.url);
    const r = await restartMidRun(f.args(undefined, { connection_retries: 0 }));
    expect(r.code).toBe(1);
    const state = lastState(r.messages)!;
    expect(state.bookmarks['public-t']!.last_pk_fetched).toBeDefined();
    const next = startTap(f.args(state));
    expect((await next.exited).code).toBe(0);
    compared += sameRows(target([...r.messages, ...next.messages]), await f.source());
  }, 120_000);
});
