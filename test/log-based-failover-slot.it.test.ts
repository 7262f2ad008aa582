import { logBasedFixture, resumingRuns } from './support/log-based-fixture';

/**
 * failover_slot: from PostgreSQL 17 the slot is made with FAILOVER (or gets it), so a standby
 * with sync_replication_slots keeps a copy that survives a failover; before 17 there is no such
 * thing and the setting changes nothing.
 */
describe('LOG_BASED: failover slots', () => {
  const SETUP = `CREATE TABLE items (id int PRIMARY KEY, v text);
    INSERT INTO items VALUES (1, 'a');
    CREATE PUBLICATION tap_postgres FOR TABLE items;`;

  async function slotFlags(f: Awaited<ReturnType<typeof logBasedFixture>>) {
    const [row] = await f.db.query<{ failover: string | null; version: string }>(
      `SELECT pg_catalog.to_jsonb(s) ->> 'failover' AS failover,
              current_setting('server_version_num') AS version
         FROM pg_catalog.pg_replication_slots s WHERE database = current_database()`,
    );
    return { failover: row!.failover, modern: Number(row!.version) >= 170000 };
  }

  it('the first run makes a failover slot where the server has them', async () => {
    const f = await logBasedFixture('fo_new', SETUP);
    try {
      await f.select({ 'public-items': {} });
      const runs = resumingRuns(f);
      await runs.run();
      const { failover, modern } = await slotFlags(f);
      expect(failover).toBe(modern ? 'true' : null);
      // and it streams from it as from any slot
      await f.db.query(`INSERT INTO items VALUES (2, 'b')`);
      const r = await runs.run();
      expect(r.msgs.filter((m) => m.type === 'RECORD')).toHaveLength(1);
    } finally {
      await f.db.drop();
    }
  });

  it('failover_slot: false makes a plain slot', async () => {
    const f = await logBasedFixture('fo_off', SETUP, { config: { failover_slot: false } });
    try {
      await f.select({ 'public-items': {} });
      await resumingRuns(f).run();
      const { failover, modern } = await slotFlags(f);
      expect(failover).toBe(modern ? 'false' : null);
    } finally {
      await f.db.drop();
    }
  });

  it('a slot made without FAILOVER gets it, said once on stderr', async () => {
    const f = await logBasedFixture('fo_old', SETUP, { config: { failover_slot: false } });
    try {
      await f.select({ 'public-items': {} });
      const runs = resumingRuns(f);
      await runs.run();
      const { modern } = await slotFlags(f);
      await f.db.query(`INSERT INTO items VALUES (2, 'b')`);
      const r = await runs.run({ failover_slot: true });
      expect(r.msgs.filter((m) => m.type === 'RECORD')).toHaveLength(1);
      expect((await slotFlags(f)).failover).toBe(modern ? 'true' : null);
      const said = r.stderrLines.filter((l) => l.includes('failover turned on'));
      expect(said).toHaveLength(modern ? 1 : 0);
      const again = await runs.run({ failover_slot: true });
      expect(again.stderrLines.filter((l) => l.includes('failover turned on'))).toEqual([]);
    } finally {
      await f.db.drop();
    }
  });
});
