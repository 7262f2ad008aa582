import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { formatLsn, parseLsn } from '../src/replication/lsn';
import type {
  CommitMessage,
  PgoutputMessage,
  RelationMessage,
} from '../src/replication/pgoutput/messages';
import { parsePgoutput } from '../src/replication/pgoutput/parser';
import { tupleOf } from '../src/replication/pgoutput/testing/pgoutput-builder';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * The pgoutput decoder against the real server: the SQL interface
 * (`pg_logical_slot_get_binary_changes`) returns the same message bytes as the walsender's
 * XLogData frames, without the replication connection.
 */
describe('pgoutput decoder on real server output', () => {
  let db: TestDatabase;
  let text: Client;
  const slot = `s_${randomBytes(5).toString('hex')}`;
  let slotCreated = false;
  let tableOid: number;
  let decoded: { lsn: string; msg: PgoutputMessage }[];

  const NAME = 'héllo ✓ 日本語 🐘';

  beforeAll(async () => {
    db = await createTestDatabase('pgoutput');
    // Text-only parsers: every value (lsn, bytea, oid) arrives as the server's text.
    text = new Client({
      connectionString: db.url,
      types: { getTypeParser: () => (v: string) => v },
    });
    await text.connect();
    await db.query(`
      CREATE SCHEMA "Sch ë";
      CREATE TABLE "Sch ë".items (
        id int PRIMARY KEY, name text, price numeric(10,2), note varchar(20), tags text[],
        data bytea, at timestamptz
      );
      ALTER TABLE "Sch ë".items REPLICA IDENTITY FULL;
      CREATE PUBLICATION pub FOR TABLE "Sch ë".items;
    `);
    // The publication must exist before the slot's start: pgoutput reads it as of each change.
    await db.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    slotCreated = true;
    tableOid = Number(
      (await db.query<{ oid: string }>(`SELECT '"Sch ë".items'::regclass::oid::text AS oid`))[0]
        ?.oid,
    );

    // One transaction each (autocommit).
    await db.query(
      `INSERT INTO "Sch ë".items VALUES
        (1, $1, 12.5, NULL, '{a,"b c"}', '\\xdeadbeef', '2024-01-02 03:04:05.123456+00')`,
      [NAME],
    );
    await db.query(`UPDATE "Sch ë".items SET name = 'renamed', note = 'x' WHERE id = 1`);
    await db.query(`DELETE FROM "Sch ë".items WHERE id = 1`);
    await db.query(`TRUNCATE "Sch ë".items`);

    // The SQL interface decodes in this session: its TimeZone shapes timestamptz text.
    await text.query(`SET TimeZone = 'UTC'`);
    const rows = (
      await text.query<{ lsn: string; data: string }>(
        `SELECT lsn, data FROM pg_logical_slot_get_binary_changes($1, NULL, NULL,
           'proto_version', '1', 'publication_names', 'pub')`,
        [slot],
      )
    ).rows;
    decoded = rows.map((row) => {
      expect(row.data.startsWith('\\x')).toBe(true);
      return {
        lsn: row.lsn,
        msg: parsePgoutput(Buffer.from(row.data.slice(2), 'hex'), { inStream: false }),
      };
    });
  });

  afterAll(async () => {
    if (slotCreated) await text.query(`SELECT pg_drop_replication_slot($1)`, [slot]);
    await text?.end();
    await db?.drop();
  });

  const messages = (): PgoutputMessage[] => decoded.map((d) => d.msg);

  it('decodes four transactions in order', () => {
    // The server may resend the Relation after the TRUNCATE invalidates its cache entry; only
    // the data messages have a fixed order.
    expect(
      messages()
        .filter((m) => m.tag !== 'relation')
        .map((m) => m.tag),
    ).toEqual([
      'begin',
      'insert',
      'commit',
      'begin',
      'update',
      'commit',
      'begin',
      'delete',
      'commit',
      'begin',
      'truncate',
      'commit',
    ]);
    const tags = messages().map((m) => m.tag);
    expect(tags.indexOf('relation')).toBeGreaterThan(-1);
    expect(tags.indexOf('relation')).toBeLessThan(tags.indexOf('insert'));
  });

  it('describes the table in the Relation message', () => {
    const relations = messages().filter((m): m is RelationMessage => m.tag === 'relation');
    for (const rel of relations) {
      expect(rel).toStrictEqual({
        tag: 'relation',
        relationId: tableOid,
        schema: 'Sch ë',
        name: 'items',
        replicaIdentity: 'f',
        // With REPLICA IDENTITY FULL every column is part of the identity.
        columns: [
          { isKey: true, flags: 1, name: 'id', typeOid: 23, typmod: -1 },
          { isKey: true, flags: 1, name: 'name', typeOid: 25, typmod: -1 },
          // numeric(10,2): ((10 << 16) | 2) + VARHDRSZ
          { isKey: true, flags: 1, name: 'price', typeOid: 1700, typmod: ((10 << 16) | 2) + 4 },
          { isKey: true, flags: 1, name: 'note', typeOid: 1043, typmod: 20 + 4 },
          { isKey: true, flags: 1, name: 'tags', typeOid: 1009, typmod: -1 },
          { isKey: true, flags: 1, name: 'data', typeOid: 17, typmod: -1 },
          { isKey: true, flags: 1, name: 'at', typeOid: 1184, typmod: -1 },
        ],
      });
    }
  });

  const inserted = tupleOf(
    '1',
    NAME,
    '12.50',
    null,
    '{a,"b c"}',
    '\\xdeadbeef',
    '2024-01-02 03:04:05.123456+00',
  );
  const updated = tupleOf(
    '1',
    'renamed',
    '12.50',
    'x',
    '{a,"b c"}',
    '\\xdeadbeef',
    '2024-01-02 03:04:05.123456+00',
  );

  it('keeps column values as the server text, NULL as null', () => {
    expect(messages().find((m) => m.tag === 'insert')).toStrictEqual({
      tag: 'insert',
      relationId: tableOid,
      newTuple: inserted,
    });
  });

  it('sends the old row on UPDATE and DELETE with REPLICA IDENTITY FULL', () => {
    expect(messages().find((m) => m.tag === 'update')).toStrictEqual({
      tag: 'update',
      relationId: tableOid,
      old: inserted,
      newTuple: updated,
    });
    expect(messages().find((m) => m.tag === 'delete')).toStrictEqual({
      tag: 'delete',
      relationId: tableOid,
      old: updated,
    });
  });

  it('names the table by OID in TRUNCATE', () => {
    expect(messages().find((m) => m.tag === 'truncate')).toStrictEqual({
      tag: 'truncate',
      options: { cascade: false, restartIdentity: false },
      relationIds: [tableOid],
    });
  });

  it('pairs Begin and Commit LSNs as postgres-cdc-facts.md says', () => {
    let begin: PgoutputMessage | undefined;
    let xids = 0;
    for (const { lsn, msg } of decoded) {
      if (msg.tag === 'begin') {
        begin = msg;
        expect(msg.xid).toBeGreaterThan(0);
        xids++;
      }
      if (msg.tag === 'commit') {
        const commit: CommitMessage = msg;
        if (begin?.tag !== 'begin') throw new Error('Commit without Begin');
        expect(begin.finalLsn).toBe(commit.commitLsn);
        expect(commit.endLsn).toBeGreaterThan(commit.commitLsn);
        // The row's LSN for a Commit is the end of the commit record.
        expect(formatLsn(commit.endLsn)).toBe(lsn);
        expect(parseLsn(lsn)).toBe(commit.endLsn);
      }
    }
    expect(xids).toBe(4);
  });
});

/**
 * Protocol 2 with `streaming`: a transaction larger than `logical_decoding_work_mem` is sent in
 * StreamStart … StreamStop segments before it commits, and each change inside a segment carries
 * its xid. Only the caller knows it is inside a segment, so it passes `inStream`.
 */
describe('pgoutput decoder on a streamed transaction (protocol 2)', () => {
  let db: TestDatabase;
  let text: Client;
  const slot = `s_${randomBytes(5).toString('hex')}`;
  let slotCreated = false;
  let supported = false;

  beforeAll(async () => {
    db = await createTestDatabase('pgoutput');
    text = new Client({
      connectionString: db.url,
      types: { getTypeParser: () => (v: string) => v },
    });
    await text.connect();
    const version = (
      await text.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)
    ).rows[0]?.v;
    // Streaming in-progress transactions and pgoutput's `messages` option came with PG 14.
    supported = Number(version) >= 140000;
    if (!supported) return;
    await db.query(`
      CREATE TABLE big (id int PRIMARY KEY, filler text);
      CREATE PUBLICATION pub FOR TABLE big;
    `);
    await db.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    slotCreated = true;
    // ~1 MB in one transaction, well above the 64 kB minimum of logical_decoding_work_mem.
    await db.query(`
      BEGIN;
      INSERT INTO big SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 4000) g;
      SELECT pg_logical_emit_message(true, 'tap', 'in the transaction');
      COMMIT;
    `);
  });

  afterAll(async () => {
    if (slotCreated) await text.query(`SELECT pg_drop_replication_slot($1)`, [slot]);
    await text?.end();
    await db?.drop();
  });

  it('reads the leading xid of changes inside stream segments', async () => {
    if (!supported) return;
    // The SQL interface decodes in this session, so its work_mem setting decides when to stream.
    await text.query(`SET logical_decoding_work_mem = '64kB'`);
    const rows = (
      await text.query<{ data: string }>(
        `SELECT data FROM pg_logical_slot_get_binary_changes($1, NULL, NULL,
           'proto_version', '2', 'streaming', 'on', 'messages', 'true', 'publication_names', 'pub')`,
        [slot],
      )
    ).rows;

    let inStream = false;
    const msgs: PgoutputMessage[] = [];
    for (const row of rows) {
      const msg = parsePgoutput(Buffer.from(row.data.slice(2), 'hex'), { inStream });
      if (msg.tag === 'streamStart') inStream = true;
      if (msg.tag === 'streamStop') inStream = false;
      msgs.push(msg);
    }

    // The inserts' transaction: PostgreSQL 14 also streams, as empty segments, a large transaction
    // of the same database that touched no published table (e.g. another test's set-up).
    const firstInsert = msgs.find((m) => m.tag === 'insert');
    if (firstInsert?.tag !== 'insert') throw new Error('no Insert');
    const xid = firstInsert.xid;
    const starts = msgs.filter((m) => m.tag === 'streamStart' && m.xid === xid);
    expect(starts.length).toBeGreaterThan(0);
    const first = starts[0];
    if (first?.tag !== 'streamStart') throw new Error('no StreamStart');
    expect(first.first).toBe(true);
    expect(starts.slice(1).every((m) => m.tag === 'streamStart' && !m.first)).toBe(true);

    // A streamed transaction has no Begin/Commit: it ends with StreamCommit.
    expect(msgs.some((m) => m.tag === 'begin' || m.tag === 'commit')).toBe(false);
    const last = msgs.filter((m) => m.tag === 'streamCommit' && m.xid === xid);
    expect(last).toHaveLength(1);
    expect(last[0]).toMatchObject({ tag: 'streamCommit', xid, flags: 0 });
    expect(msgs.indexOf(last[0]!)).toBeGreaterThan(msgs.indexOf(starts[starts.length - 1]!));

    const inserts = msgs.filter((m) => m.tag === 'insert');
    expect(inserts).toHaveLength(4000);
    expect(inserts.every((m) => m.xid === xid)).toBe(true);
    expect(inserts[0]?.newTuple).toEqual([
      { kind: 'text', text: '1' },
      { kind: 'text', text: expect.stringMatching(/^[0-9a-f]{256}$/) as string },
    ]);
    expect(inserts[3999]?.newTuple[0]).toEqual({ kind: 'text', text: '4000' });

    const relation = msgs.find((m) => m.tag === 'relation');
    expect(relation).toMatchObject({ tag: 'relation', xid, schema: 'public', name: 'big' });
    expect(msgs.find((m) => m.tag === 'message')).toStrictEqual({
      tag: 'message',
      xid,
      transactional: true,
      flags: 1,
      lsn: expect.any(BigInt) as bigint,
      prefix: 'tap',
      content: Buffer.from('in the transaction'),
    });
  });
});
