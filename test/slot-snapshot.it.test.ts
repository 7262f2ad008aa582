import { Client } from 'pg';
import { normalizeConfig } from '../src/config/normalize-config';
import { clientConfig } from '../src/db/connect';
import { compareLsn, parseLsn } from '../src/replication/lsn';
import {
  beginInSnapshot,
  createSlotExportingSnapshot,
  dropSlot,
  slotInfo,
} from '../src/replication/slot';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/** The changes a slot holds, peeked (not consumed) as pgoutput binary messages. */
async function peekTags(
  client: Client,
  slot: string,
): Promise<Array<{ lsn: string; tag: string; text: string }>> {
  const r = await client.query<{ lsn: string; data: string }>(
    `SELECT lsn::text AS lsn, data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL,
       'proto_version', '1', 'publication_names', 'snap_pub')`,
    [slot],
  );
  return r.rows.map((row) => {
    const bytes = Buffer.from(row.data.slice(2), 'hex'); // text-only parsers: bytea arrives as \x…
    return { lsn: row.lsn, tag: String.fromCharCode(bytes[0]!), text: bytes.toString('latin1') };
  });
}

describe('a slot created with an exported snapshot', () => {
  let db: TestDatabase;
  let client: Client;
  const config = () =>
    normalizeConfig({ ...db.config, database: db.name, username: db.config.user });

  beforeAll(async () => {
    db = await createTestDatabase('snap');
    await db.query(`CREATE TABLE t (id int PRIMARY KEY, v text);
                    INSERT INTO t SELECT i, 'before' || i FROM generate_series(1, 3) i;
                    CREATE PUBLICATION snap_pub FOR TABLE t;`);
    client = new Client(clientConfig(config()));
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('sees exactly the rows before its consistent point; the slot holds exactly the changes after it', async () => {
    const snap = await createSlotExportingSnapshot(config(), 'snap_slot', 'pgoutput');
    try {
      // A write committed while the copy is still running…
      await db.query(`INSERT INTO t VALUES (4, 'after4'); UPDATE t SET v = 'after1' WHERE id = 1`);
      // …is invisible inside the snapshot,
      const reader = new Client(clientConfig(config()));
      await reader.connect();
      await beginInSnapshot(reader, snap.snapshotName);
      const rows = await reader.query<{ id: string; v: string }>('SELECT id, v FROM t ORDER BY id');
      await reader.query('COMMIT');
      await reader.end();
      expect(rows.rows).toEqual([
        { id: '1', v: 'before1' },
        { id: '2', v: 'before2' },
        { id: '3', v: 'before3' },
      ]);
    } finally {
      await snap.close();
    }
    // …and is in the slot, after the consistent point; nothing from before the slot is.
    const changes = await peekTags(client, 'snap_slot');
    expect(changes.filter((c) => c.tag === 'I').map((c) => c.text.includes('after4'))).toEqual([
      true,
    ]);
    expect(changes.filter((c) => c.tag === 'U').map((c) => c.text.includes('after1'))).toEqual([
      true,
    ]);
    expect(changes.some((c) => c.text.includes('before'))).toBe(false);
    for (const c of changes)
      expect(compareLsn(parseLsn(c.lsn), snap.consistentPoint)).toBeGreaterThanOrEqual(0);

    const info = await slotInfo(client, 'snap_slot');
    expect(info).toMatchObject({
      slotName: 'snap_slot',
      plugin: 'pgoutput',
      database: db.name,
      active: false,
    });
    expect(info!.confirmedFlushLsn).toBe(snap.consistentPoint);
    await dropSlot(client, 'snap_slot');
    expect(await slotInfo(client, 'snap_slot')).toBeNull();
  });

  it('refuses a slot name that could inject into the replication command', async () => {
    await expect(
      createSlotExportingSnapshot(config(), 'x LOGICAL test_decoding; --', 'pgoutput'),
    ).rejects.toThrow(/invalid replication slot name/);
  });
});
