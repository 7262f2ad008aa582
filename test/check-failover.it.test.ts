import { Client } from 'pg';
import { lastState, parseMessages, selectStreams, type Message } from './support/catalog-helpers';
import { runTap, tempFiles } from './support/run-tap';
import { connectTo, startStandbyPair, type StandbyPair, pairConfig } from './support/standby-pair';

/**
 * --check's failover section against a real primary and hot standby: what it says on 17+ (the
 * slot's FAILOVER, synchronized_standby_slots, each standby of the host list) and on 16 (the
 * slot is lost on a failover), each gap with the statement that closes it.
 */
const DB = 'shop';

const connect = (url: string, db = DB): Promise<Client> => connectTo(url, db);

async function setUp(version: 16 | 17 | 18) {
  const files = tempFiles();
  const pair = await startStandbyPair({ version });
  const admin = await connect(pair.primary.url, 'postgres');
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  const primary = await connect(pair.primary.url);
  await primary.query(`CREATE TABLE items (id int PRIMARY KEY, v text);
    INSERT INTO items VALUES (1, 'a');
    CREATE PUBLICATION tap_postgres FOR TABLE items;`);
  await pair.waitForStandbyReplay();
  const config = files.write('config.json', pairConfig(pair, DB, { replication_slot: 'tap_shop' }));
  const discovered = await runTap(['--config', config, '--discover']);
  const catalog = files.write(
    'catalog.json',
    selectStreams(JSON.parse(discovered.stdout), { 'public-items': { method: 'LOG_BASED' } }),
  );
  const outputs: Message[][] = [];
  const sync = async () => {
    const state = lastState(outputs.flat());
    const argv = ['--config', config, '--catalog', catalog];
    if (state) argv.push('--state', files.write(`state-${outputs.length}.json`, state));
    const r = await runTap(argv);
    expect(r.code).toBe(0);
    outputs.push(parseMessages(r.stdout));
  };
  /** The failover section of --check, one line per finding. */
  const failover = async () => {
    const r = await runTap(['--config', config, '--catalog', catalog, '--check']);
    const lines = r.stderrLines.map((l) => l.replace(/^INFO /, ''));
    const start = lines.findIndex((l) => l.startsWith(`failover (slot 'tap_shop')`));
    expect(start).toBeGreaterThanOrEqual(0);
    const rest = lines.slice(start + 1);
    return rest
      .slice(
        0,
        rest.findIndex((l) => !l.startsWith('  ')),
      )
      .join('\n');
  };
  return { pair, primary, sync, failover };
}

describe('--check: failover readiness', () => {
  let pair: StandbyPair | undefined;
  let primary: Client | undefined;
  afterEach(async () => {
    await primary?.end().catch(() => {});
    await pair?.stop();
    pair = undefined;
  });

  it('PostgreSQL 17: the slot, synchronized_standby_slots and the standby, each gap with its fix', async () => {
    const s = await setUp(17);
    ({ pair, primary } = s);
    let report = await s.failover();
    expect(report).toContain(`✓ the first LOG_BASED run creates slot 'tap_shop' with FAILOVER`);
    expect(report).toContain(`✓ synchronized_standby_slots holds the tap back until 'tap_standby'`);
    expect(report).toMatch(/⚠ standby 127\.0\.0\.1:\d+ has no synced copy of slot 'tap_shop' yet/);

    await s.sync();
    await s.pair.waitForStandbyReplay();
    report = await s.failover();
    expect(report).toContain(`✓ slot 'tap_shop' has FAILOVER`);

    // The standby loses a setting slot synchronisation needs, the primary stops waiting for it.
    const standby = await connect(s.pair.standby.url, 'postgres');
    await standby.query('ALTER SYSTEM SET hot_standby_feedback = off');
    await standby.query('SELECT pg_reload_conf()');
    await standby.end();
    await s.primary.query(`ALTER SYSTEM SET synchronized_standby_slots = ''`);
    await s.primary.query('SELECT pg_reload_conf()');
    await new Promise((r) => setTimeout(r, 500));
    report = await s.failover();
    expect(report).toMatch(
      /⚠ standby 127\.0\.0\.1:\d+: hot_standby_feedback is off; slot synchronisation needs it — fix: ALTER SYSTEM SET hot_standby_feedback = on;/,
    );
    expect(report).toMatch(
      /⚠ synchronized_standby_slots does not name 'tap_standby'.* — fix: ALTER SYSTEM SET synchronized_standby_slots = 'tap_standby';/,
    );
  });

  it('PostgreSQL 16: the slot is lost on a failover, said with the standbys in view', async () => {
    const s = await setUp(16);
    ({ pair, primary } = s);
    const report = await s.failover();
    expect(report).toMatch(
      /⚠ PostgreSQL 16 cannot synchronise logical slots to standbys: after a failover slot 'tap_shop' is gone.*standbys streaming from this server: 'standby' — PostgreSQL 17 keeps a copy/,
    );
  });
});
