import { Client } from 'pg';
import { normalizeConfig } from '../src/config/normalize-config';
import { clientConfig } from '../src/db/connect';
import { INVALID_LSN, parseLsn, readLsn, type Lsn } from '../src/replication/lsn';
import { parsePgoutput } from '../src/replication/pgoutput/parser';
import { slotInfo } from '../src/replication/slot';
import { WalReader, type WalData } from '../src/replication/wal-reader';
import { dropSlotWhenReleased } from './support/slots';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/** Reads frames until `commits` Commit messages have arrived. */
async function readCommits(reader: WalReader, commits: number): Promise<WalData[]> {
  const frames: WalData[] = [];
  let seen = 0;
  while (seen < commits) {
    const e = await reader.next();
    if (!e || e === 'idle') throw new Error('stream ended');
    if (e.kind !== 'data') continue;
    frames.push(e);
    if (e.payload[0] === 0x43) seen += 1; // 'C'
  }
  return frames;
}

const tags = (frames: WalData[]) => frames.map((f) => String.fromCharCode(f.payload[0]!)).join('');
/** Commit: 'C', Int8 flags, Int64 commit LSN, Int64 end LSN. */
const commitEnd = (f: WalData): Lsn => readLsn(f.payload, 10);

describe('WalReader', () => {
  let db: TestDatabase;
  let client: Client;
  const config = () =>
    normalizeConfig({ ...db.config, database: db.name, username: db.config.user });
  const opts = { publication: 'wal pub', protoVersion: 1 as const, messages: false };

  beforeAll(async () => {
    db = await createTestDatabase('wal');
    await db.query(
      `CREATE TABLE t (id int PRIMARY KEY, v text); CREATE PUBLICATION "wal pub" FOR TABLE t`,
    );
    client = new Client(clientConfig(config()));
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('reports only the position it was told, exactly, and a restart resumes at the next transaction', async () => {
    const [created] = (
      await client.query<{ lsn: string }>(
        `SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot('wal_slot', 'pgoutput')`,
      )
    ).rows;
    const start = parseLsn(created!.lsn);
    await db.query(`INSERT INTO t VALUES (1, 'one')`);
    await db.query(`INSERT INTO t VALUES (2, 'two')`);

    const reader = new WalReader(config(), 'wal_slot', opts, start);
    await reader.start(INVALID_LSN);
    const frames = await readCommits(reader, 2);
    expect(tags(frames)).toBe('BRICBIC'); // Relation once, before the first change of t
    const firstEnd = commitEnd(frames[3]!);
    expect(frames[3]!.lsn).toBe(firstEnd); // the Commit frame's LSN is the transaction's end

    // Having received both transactions, the reader still reports only what it was told.
    await reader.confirm(start);
    await new Promise((r) => setTimeout(r, 300));
    expect((await slotInfo(client, 'wal_slot'))!.confirmedFlushLsn).toBe(start);

    // Confirming the first transaction's end reports that LSN exactly (no +1).
    await reader.confirm(firstEnd);
    for (
      let i = 0;
      i < 50 && (await slotInfo(client, 'wal_slot'))!.confirmedFlushLsn !== firstEnd;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await slotInfo(client, 'wal_slot'))!.confirmedFlushLsn).toBe(firstEnd);
    await reader.stop();

    // A new reader resumes after the first transaction and gets the second one, whole.
    const again = new WalReader(config(), 'wal_slot', opts, firstEnd);
    await again.start(INVALID_LSN);
    const replay = await readCommits(again, 1);
    await again.stop();
    expect(tags(replay)).toBe('BRIC');
    expect(replay[2]!.payload.toString('latin1')).toContain('two');
    expect(replay.some((f) => f.payload.toString('latin1').includes('one'))).toBe(false);
    await dropSlotWhenReleased(client, 'wal_slot');
  });

  it('keeps every queued frame intact under load (frames are copied out of the read buffer)', async () => {
    await client.query(`SELECT pg_create_logical_replication_slot('wal_load', 'pgoutput')`);
    await db.query(`INSERT INTO t SELECT i, 'row ' || i FROM generate_series(100, 5099) i`);
    const reader = new WalReader(config(), 'wal_load', opts, INVALID_LSN);
    await reader.start(INVALID_LSN);
    await new Promise((r) => setTimeout(r, 500)); // let the queue fill while nobody reads
    const frames = await readCommits(reader, 1);
    await reader.stop();
    const ids = frames
      .map((f) => parsePgoutput(f.payload, { inStream: false }))
      .flatMap((m) =>
        m.tag === 'insert' && m.newTuple[0]?.kind === 'text' ? [Number(m.newTuple[0].text)] : [],
      );
    expect(ids).toHaveLength(5000);
    expect(ids[0]).toBe(100);
    expect(ids[4999]).toBe(5099);
    await dropSlotWhenReleased(client, 'wal_load');
  });

  it('fails to start with the server error for a missing slot', async () => {
    const reader = new WalReader(config(), 'no_such_slot', opts, INVALID_LSN);
    await expect(reader.start(INVALID_LSN)).rejects.toThrow(
      /replication slot "no_such_slot" does not exist/,
    );
    await reader.stop();
  });
});
