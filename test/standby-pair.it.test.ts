import { Client } from 'pg';
import { startStandbyPair, type StandbyPair } from './support/standby-pair';

const version = process.env.TAP_POSTGRES_TEST_PG_VERSION === '18' ? 18 : 17;
const DB = 'ha';

function dbUrl(url: string): string {
  const u = new URL(url);
  u.pathname = `/${DB}`;
  return u.toString();
}

async function connect(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  // The primary's sessions die with it when it is stopped.
  c.on('error', () => {});
  await c.connect();
  return c;
}

/** The message kinds of pgoutput's binary changes, one letter each (B, R, I, C, …). */
async function pgoutputKinds(c: Client, slot: string): Promise<string[]> {
  const { rows } = await c.query<{ data: Buffer }>(
    `SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL,
       'proto_version', '1', 'publication_names', 'pub')`,
    [slot],
  );
  return rows.map((r) => String.fromCharCode(r.data[0]!));
}

async function textChanges(c: Client, slot: string, consume: boolean): Promise<string[]> {
  const fn = consume ? 'pg_logical_slot_get_changes' : 'pg_logical_slot_peek_changes';
  const { rows } = await c.query<{ data: string }>(
    `SELECT data FROM ${fn}($1, NULL, NULL, 'skip-empty-xacts', '1')`,
    [slot],
  );
  return rows.map((r) => r.data).filter((d) => d.startsWith('table '));
}

describe(`a PostgreSQL ${version} primary with a hot standby`, () => {
  let pair: StandbyPair;
  let primary: Client;
  let standby: Client;

  beforeAll(async () => {
    const started = Date.now();
    pair = await startStandbyPair({ version });
    console.log(`standby pair (PostgreSQL ${version}) started in ${Date.now() - started} ms`);
    const admin = await connect(pair.primary.url);
    await admin.query(`CREATE DATABASE ${DB}`);
    await admin.end();
    primary = await connect(dbUrl(pair.primary.url));
    await primary.query('CREATE TABLE t (id int PRIMARY KEY, batch int NOT NULL)');
    await primary.query('CREATE PUBLICATION pub FOR TABLE t');
    await pair.waitForStandbyReplay();
    standby = await connect(dbUrl(pair.standby.url));
  });

  afterAll(async () => {
    await standby?.end().catch(() => {});
    await primary?.end().catch(() => {});
    await pair?.stop();
  });

  it('decodes changes on the standby from a slot of its own', async () => {
    // Creating a slot on a standby waits for a running-xacts record from the primary.
    let created = false;
    const creating = standby
      .query(`SELECT pg_create_logical_replication_slot('on_standby', 'test_decoding')`)
      .finally(() => (created = true));
    creating.catch(() => {});
    const deadline = Date.now() + 30_000;
    while (!created && Date.now() < deadline) {
      await primary.query('SELECT pg_log_standby_snapshot()');
      await new Promise((r) => setTimeout(r, 200));
    }
    if (!created) throw new Error('no slot on the standby after 30 s of standby snapshots');
    await creating;
    await primary.query('INSERT INTO t VALUES (100, 0)');
    await pair.waitForStandbyReplay();
    const changes = await textChanges(standby, 'on_standby', true);
    expect(changes).toEqual([`table public.t: INSERT: id[integer]:100 batch[integer]:0`]);
    await standby.query(`SELECT pg_drop_replication_slot('on_standby')`);
  });

  it('keeps a failover slot usable after the primary crashes and the standby is promoted', async () => {
    // s1 is what the tap reads (pgoutput); s2 follows the same path and shows the rows as text.
    await primary.query(
      `SELECT pg_create_logical_replication_slot('s1', 'pgoutput', false, false, true)`,
    );
    await primary.query(
      `SELECT pg_create_logical_replication_slot('s2', 'test_decoding', false, false, true)`,
    );
    await primary.query('INSERT INTO t SELECT g, 1 FROM generate_series(1, 3) g');
    await primary.query(
      `SELECT pg_replication_slot_advance(s, pg_current_wal_lsn()) FROM unnest(ARRAY['s1', 's2']) s`,
    );
    await pair.nudgeSlot('s1', DB);
    await pair.nudgeSlot('s2', DB);
    await pair.waitForSyncedSlot('s1', DB);
    await pair.waitForSyncedSlot('s2', DB);
    await primary.query('INSERT INTO t SELECT g, 2 FROM generate_series(11, 13) g');
    await pair.waitForStandbyReplay();

    const { rows: copies } = await standby.query<{
      slot_name: string;
      failover: boolean;
      synced: boolean;
    }>(
      `SELECT slot_name, failover, synced FROM pg_replication_slots
        WHERE slot_type = 'logical' ORDER BY slot_name`,
    );
    expect(copies).toEqual([
      { slot_name: 's1', failover: true, synced: true },
      { slot_name: 's2', failover: true, synced: true },
    ]);
    // A synchronised copy is read-only until promotion.
    await expect(textChanges(standby, 's2', false)).rejects.toThrow(/cannot use replication slot/);

    await pair.stopPrimary('immediate');
    await pair.promoteStandby();

    const kinds = await pgoutputKinds(standby, 's1');
    expect(kinds.filter((k) => k === 'I')).toHaveLength(3);
    expect(await textChanges(standby, 's2', true)).toEqual(
      [11, 12, 13].map((id) => `table public.t: INSERT: id[integer]:${id} batch[integer]:2`),
    );
    // The promoted server writes, and the slot follows.
    await standby.query('INSERT INTO t VALUES (21, 3)');
    expect(await textChanges(standby, 's2', true)).toEqual([
      'table public.t: INSERT: id[integer]:21 batch[integer]:3',
    ]);
  });
});
