import { Client } from 'pg';
import { lastState, parseMessages, selectStreams, type Message } from './support/catalog-helpers';
import { replay } from './support/replay';
import { recordSchemaErrors } from './support/record-schemas';
import { runTap, tempFiles, type TapRun } from './support/run-tap';
import { connectTo, startStandbyPair, pairConfig } from './support/standby-pair';

/**
 * A primary failover under LOG_BASED, end to end on real servers (PostgreSQL 17, or 18 with
 * TAP_POSTGRES_TEST_PG_VERSION=18): runs through a two-host config, the primary crashes
 * (immediate stop), the standby is promoted, and the next run, with the same config and state,
 * continues from the standby's synchronised copy of the slot. What a keyed target holds after
 * every run equals the table on the new primary: nothing lost.
 */
const version = process.env.TAP_POSTGRES_TEST_PG_VERSION === '18' ? 18 : 17;
const DB = 'shop';

/** A state's integer LSN as PostgreSQL writes it. */
function lsnText(n: number): string {
  return `${Math.floor(n / 2 ** 32)
    .toString(16)
    .toUpperCase()}/${(n % 2 ** 32).toString(16).toUpperCase()}`;
}

const connect = (url: string, db = DB): Promise<Client> => connectTo(url, db);

describe(`LOG_BASED across a failover (PostgreSQL ${version})`, () => {
  const files = tempFiles();

  /** A pair with the shop database, a published table of 5 rows, and a two-host config. */
  async function setUp(extra: Record<string, unknown> = {}) {
    const pair = await startStandbyPair({ version });
    const admin = await connect(pair.primary.url, 'postgres');
    await admin.query(`CREATE DATABASE ${DB}`);
    await admin.end();
    const primary = await connect(pair.primary.url);
    await primary.query(`CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL);
      INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 5) g;
      CREATE PUBLICATION tap_postgres FOR TABLE items;`);
    const config = files.write(
      `config-${Math.random()}.json`,
      pairConfig(pair, DB, { replication_slot: 'tap_shop', ...extra }),
    );
    const discovered = await runTap(['--config', config, '--discover']);
    expect(discovered.code).toBe(0);
    const catalog = files.write(
      `catalog-${Math.random()}.json`,
      selectStreams(JSON.parse(discovered.stdout), { 'public-items': { method: 'LOG_BASED' } }),
    );
    const outputs: Message[][] = [];
    const run = async (): Promise<TapRun> => {
      const state = lastState(outputs.flat());
      const argv = ['--config', config, '--catalog', catalog];
      if (state) argv.push('--state', files.write(`state-${Math.random()}.json`, state));
      const r = await runTap(argv);
      const msgs = parseMessages(r.stdout);
      expect(recordSchemaErrors(msgs)).toEqual([]);
      outputs.push(msgs);
      return r;
    };
    /**
     * A standby keeps a lasting copy of a new failover slot only once the slot has moved past
     * running-xacts records written after the standby first copied it (a live primary writes
     * one every 15 s, and a slot the tap reads regularly gets there by itself). Waiting for that
     * through the tap's runs depends on the standby's sync worker, whose pause between attempts
     * grows to 30 s: too slow and uneven for a test. So the slot is made the way an administrator
     * would make it, before the tap's first run, and moved past two such records while nothing
     * depends on its position; the tap's first run then finds it and copies the table.
     */
    const prepareSlot = async () => {
      await primary.query(
        `SELECT pg_create_logical_replication_slot('tap_shop', 'pgoutput', false, false, true)`,
      );
      await pair.nudgeSlot('tap_shop', DB);
      await pair.waitForSyncedSlot('tap_shop', DB);
    };
    return { pair, primary, config, catalog, outputs, run, prepareSlot };
  }

  async function rowsOf(c: Client) {
    const { rows } = await c.query<{ id: number; v: string }>(
      'SELECT id, v FROM items ORDER BY id',
    );
    return rows.map((r) => ({ id: Number(r.id), v: r.v }));
  }

  function held(outputs: Message[][]) {
    const rows = [...(replay(outputs.flat()).get('public-items')?.values() ?? [])];
    return rows.map((r) => ({ id: Number(r.id), v: r.v })).sort((a, b) => a.id - b.id);
  }

  it.each([
    ['the last state acknowledged before the failover', true],
    ['the last state emitted but not yet acknowledged', false],
  ])('nothing lost, %s', async (_, acknowledged) => {
    const { pair, primary, outputs, run, prepareSlot } = await setUp();
    let promoted: Client | undefined;
    try {
      await prepareSlot();
      const first = await run();
      expect(first.code).toBe(0);
      expect(first.stderr).toContain(`connected to 127.0.0.1:${pair.primary.port}, the primary`);
      await primary.query(`INSERT INTO items SELECT g, 'v' || g FROM generate_series(6, 10) g`);
      expect((await run()).code).toBe(0);
      // A run with nothing new acknowledges the state it was given.
      if (acknowledged) expect((await run()).code).toBe(0);
      await pair.waitForSyncedSlot('tap_shop', DB);
      const before = (
        await primary.query<{ lsn: string }>(
          `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'tap_shop'`,
        )
      ).rows[0]!.lsn;

      // Changes after the last acknowledged state, then the crash.
      await primary.query(`INSERT INTO items SELECT g, 'v' || g FROM generate_series(11, 15) g;
        UPDATE items SET v = 'changed' WHERE id = 3; DELETE FROM items WHERE id = 4;`);
      await pair.waitForStandbyReplay();
      await pair.stopPrimary('immediate');
      await pair.promoteStandby();
      promoted = await connect(pair.standby.url);
      await promoted.query(
        `INSERT INTO items VALUES (16, 'after'); UPDATE items SET v = 'again' WHERE id = 11`,
      );

      const after = await run();
      expect(after.stderr).not.toMatch(/CRITICAL/);
      expect(after.code).toBe(0);
      expect(after.stderr).toContain(`connected to 127.0.0.1:${pair.standby.port}, the primary`);
      const source = await rowsOf(promoted);
      expect(held(outputs)).toEqual(source);
      const records = outputs.at(-1)!.filter((m) => m.type === 'RECORD');
      const bookmark = (msgs: Message[] | undefined) =>
        lastState(msgs ?? [])?.bookmarks['public-items'] as
          { lsn: number; timeline?: number } | undefined;
      const stateBefore = bookmark(outputs.at(-2));
      const stateAfter = bookmark(outputs.at(-1));
      const kinds = records.map((m) =>
        m.record!._sdc_deleted_at
          ? 'delete'
          : Number(m.record!.id) > 10
            ? 'insert/update'
            : 'update',
      );
      console.log(
        [
          `failover (${acknowledged ? 'acknowledged' : 'unacknowledged'} state), PostgreSQL ${version}:`,
          `  before: old primary 127.0.0.1:${pair.primary.port}, slot confirmed ${before}, state lsn ${lsnText(stateBefore!.lsn)} (timeline ${stateBefore!.timeline})`,
          `  crash (immediate stop), promotion of 127.0.0.1:${pair.standby.port}`,
          `  after: ${after.stderrLines.find((l) => l.includes('connected to')) ?? ''}`,
          `  replayed ${records.length} records (${kinds.filter((k) => k === 'delete').length} delete, ${kinds.length - kinds.filter((k) => k === 'delete').length} insert/update), state lsn ${lsnText(stateAfter!.lsn)} (timeline ${stateAfter!.timeline})`,
          `  target holds ${held(outputs).length} rows = new primary's ${source.length} rows`,
        ].join('\n'),
      );
      // At-least-once, nothing earlier than the state: the run after the failover starts after
      // rows 6..10, which the state already covers.
      const ids = records.map((m) => Number(m.record!.id));
      expect(ids.filter((id) => id >= 6 && id <= 10)).toEqual([]);
      expect((await run()).code).toBe(0);
      expect(outputs.at(-1)!.filter((m) => m.type === 'RECORD')).toEqual([]);
    } finally {
      await promoted?.end().catch(() => {});
      await primary.end().catch(() => {});
      await pair.stop();
    }
  });

  it.each([
    ['stops: the stream is lost, never read on from', false],
    ['with resnapshot_on_slot_loss copies the table again', true],
  ])(
    'a state past where the new primary branched off (the standby lagged) %s',
    async (_, resnapshot) => {
      const { pair, primary, outputs, run, prepareSlot } = await setUp(
        resnapshot ? { resnapshot_on_slot_loss: true } : {},
      );
      let promoted: Client | undefined;
      try {
        await prepareSlot();
        expect((await run()).code).toBe(0);
        await pair.waitForSyncedSlot('tap_shop', DB);
        // The standby stops receiving, and nothing holds the tap back for it: the tap reads
        // changes the standby never gets.
        const standby = await connect(pair.standby.url, 'postgres');
        await standby.query(`ALTER SYSTEM SET primary_conninfo = ''`);
        await standby.query('SELECT pg_reload_conf()');
        await standby.end();
        // The walreceiver goes away asynchronously: until it has, the standby still gets WAL.
        for (let i = 0; i < 100; i += 1) {
          const { rows } = await primary.query<{ n: string }>(
            'SELECT count(*)::text AS n FROM pg_stat_replication',
          );
          if (rows[0]!.n === '0') break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await primary.query(`ALTER SYSTEM SET synchronized_standby_slots = ''`);
        await primary.query('SELECT pg_reload_conf()');
        await primary.query(`INSERT INTO items SELECT g, 'lost' FROM generate_series(6, 10) g`);
        expect((await run()).code).toBe(0);
        const ahead = lastState(outputs.flat())!.bookmarks['public-items']!;
        await pair.stopPrimary('immediate');
        await pair.promoteStandby();
        promoted = await connect(pair.standby.url);
        // The new primary writes until its own WAL is past the state's LSN, where reading on
        // from the state would skip its rows without a word.
        for (let i = 0; i < 200; i += 1) {
          await promoted.query(
            `INSERT INTO items VALUES (${200 + i}, repeat('new', 100)) ON CONFLICT DO NOTHING`,
          );
          const { rows } = await promoted.query<{ past: boolean }>(
            `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) > 0 AS past`,
            [lsnText(ahead.lsn as number)],
          );
          if (rows[0]!.past && i >= 3) break;
        }
        const r = await run();
        if (!resnapshot) {
          expect(r.code).toBe(1);
          expect(r.stdout).toBe('');
          expect(r.stderrLines.find((l) => l.startsWith('CRITICAL'))).toMatch(
            /is past [0-9A-F]+\/[0-9A-F]+, where this server's timeline 2 branched off after a failover/,
          );
          return;
        }
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/branched off after a failover.*copies public-items again/);
        expect(held(outputs)).toEqual(await rowsOf(promoted));
      } finally {
        await promoted?.end().catch(() => {});
        await primary.end().catch(() => {});
        await pair.stop();
      }
    },
  );

  it('without failover_slot the slot is gone after a failover, and the run says so', async () => {
    const { pair, primary, run } = await setUp({ failover_slot: false });
    let promoted: Client | undefined;
    try {
      expect((await run()).code).toBe(0);
      await primary.query(`INSERT INTO items VALUES (6, 'v6')`);
      await pair.waitForStandbyReplay();
      await pair.stopPrimary('immediate');
      await pair.promoteStandby();
      promoted = await connect(pair.standby.url);
      const r = await run();
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderrLines.find((l) => l.startsWith('CRITICAL'))).toMatch(
        /replication slot 'tap_shop' does not exist/,
      );
    } finally {
      await promoted?.end().catch(() => {});
      await primary.end().catch(() => {});
      await pair.stop();
    }
  });
});
