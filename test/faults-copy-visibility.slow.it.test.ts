import { Client } from 'pg';
import { lastState, replay } from './support/catalog-helpers';
import { logBasedFixture } from './support/log-based-fixture';
import { recordSchemaErrors } from './support/record-schemas';
import { startRestartableServer, type RestartableServer } from './support/restartable-server';
import { killLeftoverTaps, startTap } from './support/tap-process';

afterEach(killLeftoverTaps);

/**
 * A table copied outside the slot's snapshot (here: a stream added once the slot exists) joins the
 * stream at the WAL position read before its copy. A transaction whose commit record lies before
 * that position is not yet visible while the server waits for a synchronous standby: the copy must
 * not be taken until it is, or its row is in neither the copy nor the stream. On a server of this
 * file's own, since `synchronous_standby_names` holds every session that asks for it.
 */
let server: RestartableServer;
beforeAll(async () => {
  server = await startRestartableServer();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a stream copied while a committed transaction waits for a synchronous standby gets its row', async () => {
  const admin = new Client({ connectionString: server.url });
  await admin.connect();
  // Sessions wait for a standby only when they ask to: the tap's and the fixture's never do.
  await admin.query(`ALTER SYSTEM SET synchronous_commit = local`);
  await admin.query(`SELECT pg_reload_conf()`);
  const f = await logBasedFixture(
    'copyvis',
    `CREATE TABLE t (id int PRIMARY KEY, v text);
     CREATE TABLE u (id int PRIMARY KEY, v text);
     INSERT INTO t VALUES (1, 'a');
     INSERT INTO u SELECT g, 'u' || g FROM generate_series(1, 5) AS g;
     CREATE PUBLICATION tap_postgres FOR TABLE t, u;`,
    { admin: server.url },
  );
  const holder = new Client({ connectionString: f.db.url });
  try {
    await f.select({ 'public-t': {} });
    const first = await f.run();
    expect(first.code).toBe(0);

    // A commit that is in the WAL (flushed) but not visible: its session waits for standby
    // 'nobody', which never connects.
    await admin.query(`ALTER SYSTEM SET synchronous_standby_names = 'nobody'`);
    await admin.query(`SELECT pg_reload_conf()`);
    await holder.connect();
    await holder.query(`SET synchronous_commit = on`);
    const late = holder.query(`INSERT INTO u VALUES (42, 'late')`);
    for (let i = 0; ; i += 1) {
      const [w] = (
        await admin.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM pg_stat_activity WHERE wait_event = 'SyncRep'`,
        )
      ).rows;
      if (w!.n === '1') break;
      expect(i).toBeLessThan(100);
      await sleep(50);
    }

    await f.select({ 'public-t': {}, 'public-u': {} });
    const waiting = async (tap: ReturnType<typeof startTap>) => {
      for (let i = 0; i < 100 && !/copying public-u: waiting/.test(tap.stderr()); i += 1) {
        await sleep(50);
      }
    };
    const env = { TAP_POSTGRES_SLOT_WAIT_REPORT_SECONDS: '1' };
    // SIGTERM ends the wait: a final STATE without a bookmark for u, which the next run copies.
    const stopped = startTap(f.args(lastState(first.msgs)), env);
    await waiting(stopped);
    const t0 = Date.now();
    stopped.child.kill('SIGTERM');
    expect((await stopped.exited).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(stopped.stderr()).toMatch(/SIGTERM received/);
    expect(stopped.messages.filter((m) => m.stream === 'public-u' && m.type === 'RECORD')).toEqual(
      [],
    );
    const resumeFrom = lastState(stopped.messages) ?? lastState(first.msgs);
    expect(resumeFrom!.bookmarks['public-u']?.lsn ?? null).toBeNull();

    const tap = startTap(f.args(resumeFrom), env);
    // The copy of u waits for the transaction, and says so; then the standby is given up on.
    await waiting(tap);
    await admin.query(`ALTER SYSTEM RESET synchronous_standby_names`);
    await admin.query(`SELECT pg_reload_conf()`);
    await late;
    await tap.drain();
    const { code } = await tap.exited;
    expect(code).toBe(0);
    const msgs = tap.messages;
    expect(recordSchemaErrors(msgs)).toEqual([]);
    const u = msgs.filter((m) => m.stream === 'public-u');
    const source = (
      await f.db.query<{ id: number; v: string }>(`SELECT id, v FROM u ORDER BY id`)
    ).map((r) => JSON.stringify([r.id, r.v]));
    const held = [...replay(u, 'id').values()]
      .map((r) => JSON.stringify([r.id, r.v]))
      .sort((a, b) => (JSON.parse(a) as number[])[0]! - (JSON.parse(b) as number[])[0]!);
    expect(held).toEqual(source);
    expect(tap.stderr()).toMatch(
      /copying public-u: waiting for 1 transaction\(s\) open when its WAL position was read \(pid \d+, database 'copyvis_\w+'.*\): what they commit at or before that position must be in the copy/,
    );
  } finally {
    await holder.end().catch(() => {});
    await admin.query(`ALTER SYSTEM RESET synchronous_standby_names`).catch(() => {});
    await admin.query(`SELECT pg_reload_conf()`).catch(() => {});
    await admin.end().catch(() => {});
    await f.db.drop();
  }
}, 120_000);
