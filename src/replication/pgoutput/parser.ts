/**
 * pgoutput decoder: one message's bytes (the payload of an XLogData frame, or one row of
 * `pg_logical_slot_get_binary_changes`) to a {@link PgoutputMessage}. Pure: no I/O, and column
 * values stay text.
 *
 * Unlike pg-logical-replication's bundled parser, OIDs and xids are read as unsigned 32-bit, LSNs
 * as unsigned 64-bit bigints, timestamps as exact bigint microseconds, and protocol-2 streaming
 * messages are understood.
 *
 * @see https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */
import { BufferReader, PgoutputParseError } from './buffer-reader';
import type {
  PgoutputMessage,
  RelationColumn,
  ReplicaIdentity,
  Tuple,
  TupleValue,
} from './messages';

export interface ParseOptions {
  /**
   * True between StreamStart and StreamStop (protocol 2+, `streaming` on): Relation, Type, Insert,
   * Update, Delete, Truncate and Message then start with the xid of the streamed transaction. The
   * message itself does not say so; only the caller, which saw the StreamStart, knows.
   */
  readonly inStream: boolean;
}

const enum MessageCode {
  Begin = 0x42, // B
  Commit = 0x43, // C
  Origin = 0x4f, // O
  Relation = 0x52, // R
  Type = 0x59, // Y
  Insert = 0x49, // I
  Update = 0x55, // U
  Delete = 0x44, // D
  Truncate = 0x54, // T
  Message = 0x4d, // M
  StreamStart = 0x53, // S
  StreamStop = 0x45, // E
  StreamCommit = 0x63, // c
  StreamAbort = 0x41, // A
}

const enum TupleMarker {
  New = 0x4e, // N
  Key = 0x4b, // K
  Old = 0x4f, // O
}

const enum ColumnKind {
  Null = 0x6e, // n
  Unchanged = 0x75, // u
  Text = 0x74, // t
  Binary = 0x62, // b
}

/** Shared: these values carry no data and are never mutated. */
const NULL_VALUE: TupleValue = Object.freeze({ kind: 'null' });
const UNCHANGED_VALUE: TupleValue = Object.freeze({ kind: 'unchanged' });

/**
 * Decodes one pgoutput message.
 *
 * @example
 * const msg = parsePgoutput(data, { inStream: false });
 * if (msg.tag === 'insert') console.log(msg.relationId, msg.newTuple);
 * @throws PgoutputParseError for an unknown message code, a message cut short or followed by
 *   unexpected bytes, or an unknown tuple or column marker.
 */
export function parsePgoutput(buf: Buffer, opts: ParseOptions): PgoutputMessage {
  const r = new BufferReader(buf);
  if (r.remaining === 0) throw new PgoutputParseError('empty pgoutput message');
  const code = r.uint8();
  const msg = parseBody(code, r, opts.inStream);
  // Each message fills its frame exactly; leftovers mean a misread field (e.g. a wrong inStream).
  if (r.remaining !== 0) {
    throw new PgoutputParseError(
      `${r.remaining} unexpected trailing bytes after a ${describeByte(code)} message of ${buf.length} bytes`,
    );
  }
  return msg;
}

function parseBody(code: number, r: BufferReader, inStream: boolean): PgoutputMessage {
  switch (code) {
    case MessageCode.Begin:
      return { tag: 'begin', finalLsn: r.lsn(), commitTime: r.int64(), xid: r.uint32() };
    case MessageCode.Commit:
      return {
        tag: 'commit',
        flags: r.uint8(),
        commitLsn: r.lsn(),
        endLsn: r.lsn(),
        commitTime: r.int64(),
      };
    case MessageCode.Origin:
      return { tag: 'origin', originLsn: r.lsn(), name: r.cstring() };
    case MessageCode.Relation:
      return parseRelation(r, streamXid(r, inStream));
    case MessageCode.Type:
      return {
        tag: 'type',
        ...streamXid(r, inStream),
        typeOid: r.uint32(),
        schema: r.cstring(),
        name: r.cstring(),
      };
    case MessageCode.Insert: {
      const xid = streamXid(r, inStream);
      const relationId = r.uint32();
      expectMarker(r, TupleMarker.New, 'insert');
      return { tag: 'insert', ...xid, relationId, newTuple: parseTuple(r) };
    }
    case MessageCode.Update:
      return parseUpdate(r, streamXid(r, inStream));
    case MessageCode.Delete:
      return parseDelete(r, streamXid(r, inStream));
    case MessageCode.Truncate: {
      const xid = streamXid(r, inStream);
      const count = r.uint32();
      const options = r.uint8();
      const relationIds: number[] = [];
      for (let i = 0; i < count; i++) relationIds.push(r.uint32());
      return {
        tag: 'truncate',
        ...xid,
        // TRUNCATE_CASCADE = 1 << 0, TRUNCATE_RESTART_SEQS = 1 << 1 (logicalproto.h).
        options: { cascade: (options & 1) !== 0, restartIdentity: (options & 2) !== 0 },
        relationIds,
      };
    }
    case MessageCode.Message: {
      const xid = streamXid(r, inStream);
      const flags = r.uint8();
      const lsn = r.lsn();
      const prefix = r.cstring();
      const content = r.bytes(r.uint32());
      return {
        tag: 'message',
        ...xid,
        transactional: (flags & 1) !== 0,
        flags,
        lsn,
        prefix,
        content,
      };
    }
    case MessageCode.StreamStart:
      return { tag: 'streamStart', xid: r.uint32(), first: r.uint8() === 1 };
    case MessageCode.StreamStop:
      return { tag: 'streamStop' };
    case MessageCode.StreamCommit:
      return {
        tag: 'streamCommit',
        xid: r.uint32(),
        flags: r.uint8(),
        commitLsn: r.lsn(),
        endLsn: r.lsn(),
        commitTime: r.int64(),
      };
    case MessageCode.StreamAbort: {
      const xid = r.uint32();
      const subXid = r.uint32();
      // Protocol 4 with streaming = parallel (PG 16+) appends the abort LSN and time; nothing
      // else in the message says which form it is, but each message fills its frame exactly.
      if (r.remaining === 0) return { tag: 'streamAbort', xid, subXid };
      return { tag: 'streamAbort', xid, subXid, abortLsn: r.lsn(), abortTime: r.int64() };
    }
    default:
      throw new PgoutputParseError(`unknown pgoutput message tag ${describeByte(code)}`);
  }
}

function streamXid(r: BufferReader, inStream: boolean): { xid?: number } {
  return inStream ? { xid: r.uint32() } : {};
}

function parseRelation(r: BufferReader, xid: { xid?: number }): PgoutputMessage {
  const relationId = r.uint32();
  const schema = r.cstring();
  const name = r.cstring();
  const identity = r.uint8();
  const replicaIdentity = String.fromCharCode(identity);
  if (!isReplicaIdentity(replicaIdentity)) {
    throw new PgoutputParseError(
      `relation ${schema}.${name}: unknown replica identity ${describeByte(identity)}`,
    );
  }
  const count = r.int16();
  const columns: RelationColumn[] = [];
  for (let i = 0; i < count; i++) {
    const flags = r.uint8();
    columns.push({
      // Flag 1 marks a column of the replica identity key.
      isKey: (flags & 1) !== 0,
      flags,
      name: r.cstring(),
      typeOid: r.uint32(),
      typmod: r.int32(),
    });
  }
  return { tag: 'relation', ...xid, relationId, schema, name, replicaIdentity, columns };
}

function isReplicaIdentity(c: string): c is ReplicaIdentity {
  return c === 'd' || c === 'n' || c === 'f' || c === 'i';
}

function parseUpdate(r: BufferReader, xid: { xid?: number }): PgoutputMessage {
  const relationId = r.uint32();
  const marker = r.uint8();
  // An optional old image ('K' key columns or 'O' whole row) comes before the mandatory 'N'.
  switch (marker) {
    case TupleMarker.Key: {
      const key = parseTuple(r);
      expectMarker(r, TupleMarker.New, 'update');
      return { tag: 'update', ...xid, relationId, key, newTuple: parseTuple(r) };
    }
    case TupleMarker.Old: {
      const old = parseTuple(r);
      expectMarker(r, TupleMarker.New, 'update');
      return { tag: 'update', ...xid, relationId, old, newTuple: parseTuple(r) };
    }
    case TupleMarker.New:
      return { tag: 'update', ...xid, relationId, newTuple: parseTuple(r) };
    default:
      throw new PgoutputParseError(
        `update: expected tuple marker 'K', 'O' or 'N', got ${describeByte(marker)}`,
      );
  }
}

function parseDelete(r: BufferReader, xid: { xid?: number }): PgoutputMessage {
  const relationId = r.uint32();
  const marker = r.uint8();
  switch (marker) {
    case TupleMarker.Key:
      return { tag: 'delete', ...xid, relationId, key: parseTuple(r) };
    case TupleMarker.Old:
      return { tag: 'delete', ...xid, relationId, old: parseTuple(r) };
    default:
      throw new PgoutputParseError(
        `delete: expected tuple marker 'K' or 'O', got ${describeByte(marker)}`,
      );
  }
}

function expectMarker(r: BufferReader, expected: TupleMarker, what: string): void {
  const marker = r.uint8();
  if (marker !== expected) {
    throw new PgoutputParseError(
      `${what}: expected tuple marker ${describeByte(expected)}, got ${describeByte(marker)}`,
    );
  }
}

/** TupleData: Int16 column count, then per column a kind byte and, for 't'/'b', Int32 length + bytes. */
function parseTuple(r: BufferReader): Tuple {
  const count = r.int16();
  const values: TupleValue[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.uint8();
    switch (kind) {
      case ColumnKind.Null:
        values.push(NULL_VALUE);
        break;
      case ColumnKind.Unchanged:
        values.push(UNCHANGED_VALUE);
        break;
      case ColumnKind.Text:
        values.push({ kind: 'text', text: r.text(r.uint32()) });
        break;
      case ColumnKind.Binary:
        values.push({ kind: 'binary', bytes: r.bytes(r.uint32()) });
        break;
      default:
        throw new PgoutputParseError(
          `tuple column ${i + 1} of ${count}: unknown value kind ${describeByte(kind)}`,
        );
    }
  }
  return values;
}

/** `'B' (0x42)`, or just `0x07` for a byte that is not printable ASCII. */
function describeByte(b: number): string {
  const hex = `0x${b.toString(16).padStart(2, '0')}`;
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}' (${hex})` : hex;
}
