import { Client } from 'pg';
import { lastState, parseMessages, selectStreams, type Message } from './support/catalog-helpers';
import { replay } from './support/replay';
import { recordSchemaErrors } from './support/record-schemas';
import { runTap, tempFiles, type TapRun } from './support/run-tap';
import { connectTo, startStandbyPair, type StandbyPair, pairConfig } from './support/standby-pair';

/**
 * LOG_BASED on a hot standby (PostgreSQL 16+) with a slot of its own, a writer on the primary:
 * what a keyed target holds equals the primary's table once the standby has replayed it.
 */
const version = process.env.TAP_POSTGRES_TEST_PG_VERSION === '18' ? 18 : 17;
const DB = 'shop';

const connect = (url: string, db = DB): Promise<Client> => connectTo(url, db);

describe(`LOG_BASED on a standby (PostgreSQL ${version})`, () => {
  const files = tempFiles();
  let pair: StandbyPair;
  let primary: Client;
  const outputs: Message[][] = [];
  let config = '';
  let catalog = '';

  beforeAll(async () => {
    pair = await startStandbyPair({ version });
    const admin = await connect(pair.primary.url, 'postgres');
    await admin.query(`CREATE DATABASE ${DB}`);
    await admin.end();
    primary = await connect(pair.primary.url);
    await primary.query(`CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL);
      INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 5) g;
      CREATE PUBLICATION tap_postgres FOR TABLE items;`);
    await pair.waitForStandbyReplay();
    config = files.write(
      'config.json',
      pairConfig(pair, DB, {
        read_only_standby: true,
        replication_slot: 'tap_on_standby',
        heartbeat_interval_seconds: 5,
      }),
    );
    const discovered = await runTap(['--config', config, '--discover']);
    expect(discovered.code).toBe(0);
    catalog = files.write(
      'catalog.json',
      selectStreams(JSON.parse(discovered.stdout), { 'public-items': { method: 'LOG_BASED' } }),
    );
  });
  afterAll(async () => {
    await primary?.end().catch(() => {});
    await pair?.stop();
  });

  async function run(env: NodeJS.ProcessEnv = {}): Promise<TapRun> {
    const state = lastState(outputs.flat());
    const argv = ['--config', config, '--catalog', catalog];
    if (state) argv.push('--state', files.write(`state-${outputs.length}.json`, state));
    const r = await runTap(argv, env);
    const msgs = parseMessages(r.stdout);
    expect(recordSchemaErrors(msgs)).toEqual([]);
    outputs.push(msgs);
    return r;
  }

  async function primaryRows() {
    const { rows } = await primary.query<{ id: number; v: string }>(
      'SELECT id, v FROM items ORDER BY id',
    );
    return rows.map((r) => ({ id: Number(r.id), v: r.v }));
  }

  function held() {
    return [...(replay(outputs.flat()).get('public-items')?.values() ?? [])]
      .map((r) => ({ id: Number(r.id), v: r.v }))
      .sort((a, b) => a.id - b.id);
  }

  it('the first run creates its slot on the standby (the primary logs running transactions meanwhile) and copies the table', async () => {
    // Creating a slot on a standby waits for a running-xacts record from the primary, which a
    // live primary writes every 15 s; here the test writes them.
    let done = false;
    const started = Date.now();
    let tookMs = 0;
    const running = run({ TAP_POSTGRES_SLOT_WAIT_REPORT_SECONDS: '1,1' }).finally(() => {
      done = true;
      tookMs = Date.now() - started;
    });
    // The first record comes late, so that the run has something to report while it waits.
    await new Promise((r) => setTimeout(r, 2500));
    while (!done) {
      await primary.query('SELECT pg_log_standby_snapshot()');
      await new Promise((r) => setTimeout(r, 300));
    }
    const r = await running;
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `connected to 127.0.0.1:${pair.standby.port}, a standby (target_session_attrs standby)`,
    );
    expect(r.stderr).toMatch(/heartbeat_interval_seconds: this server is a standby/);
    // Unless a running-xacts record of the primary's own let the run finish within a second:
    if (tookMs > 2000) {
      expect(r.stderr).toMatch(
        /creating replication slot 'tap_on_standby' on a standby: waiting for the primary to log its running transactions/,
      );
    }
    expect(held()).toEqual(await primaryRows());
  });

  it('then streams what the primary writes, as the standby replays it', async () => {
    await primary.query(`INSERT INTO items SELECT g, 'w' || g FROM generate_series(6, 12) g;
      UPDATE items SET v = 'changed' WHERE id = 2; DELETE FROM items WHERE id = 3;`);
    await pair.waitForStandbyReplay();
    const r = await run();
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    expect(held()).toEqual(await primaryRows());
    const again = await run();
    expect(again.code).toBe(0);
    expect(outputs.at(-1)!.filter((m) => m.type === 'RECORD')).toEqual([]);
  });

  it("--check: the slot stays on the standby; hot_standby_feedback and the primary's wal_level", async () => {
    const r = await runTap(['--config', config, '--catalog', catalog, '--check']);
    const text = r.stderrLines.join('\n');
    expect(text).toContain('✓ this server is a standby decoding with a slot of its own');
    expect(text).toContain('✓ hot_standby_feedback is on');
    expect(text).toContain(`✓ the primary 127.0.0.1:${pair.primary.port} has wal_level 'logical'`);
  });
});
