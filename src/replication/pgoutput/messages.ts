/**
 * The messages of PostgreSQL's pgoutput plugin, protocol versions 1 and 2, as plain readonly data.
 * No value is converted: column values stay the server's text output, as in a FULL_TABLE sync, so
 * that one converter table (src/values) serves every replication method.
 *
 * @see https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */
import type { Lsn } from '../lsn';

/** One column of a TupleData. */
export type TupleValue =
  /** `n`: SQL NULL. */
  | { readonly kind: 'null' }
  /**
   * `u`: an out-of-line (TOASTed) value that the change did not touch; the server does not send
   * it. Merge it from the old tuple (REPLICA IDENTITY FULL) or from earlier knowledge.
   */
  | { readonly kind: 'unchanged' }
  /** `t`: the type's text output, exactly as `SELECT` would return it. */
  | { readonly kind: 'text'; readonly text: string }
  /** `b`: the type's binary send format (only with the `binary` option, PG 14+). */
  | { readonly kind: 'binary'; readonly bytes: Buffer };

/** A row image, one entry per column of the Relation, in the Relation's column order. */
export type Tuple = readonly TupleValue[];

/** Replica identity of a relation, as `pg_class.relreplident`. */
export type ReplicaIdentity =
  /** default: the primary key */
  | 'd'
  /** nothing */
  | 'n'
  /** full: every column */
  | 'f'
  /** index: the columns of a chosen unique index */
  | 'i';

export interface RelationColumn {
  /** Bit 1 of the column flags: the column is part of the replica identity key. */
  readonly isKey: boolean;
  /** The raw flags byte, for flags a later protocol version might add. */
  readonly flags: number;
  readonly name: string;
  readonly typeOid: number;
  /** `atttypmod`; -1 when the type has no modifier. */
  readonly typmod: number;
}

/**
 * Present on Relation, Type, Insert, Update, Delete, Truncate and Message when they are sent
 * between StreamStart and StreamStop (protocol 2+): the xid of the streamed (sub)transaction.
 */
interface Streamed {
  readonly xid?: number;
}

/** 'B': a transaction starts; its changes follow, then Commit. */
export interface BeginMessage {
  readonly tag: 'begin';
  /** The LSN of the commit record's start (equal to Commit's `commitLsn`). */
  readonly finalLsn: Lsn;
  /** Microseconds since 2000-01-01 00:00:00 UTC. */
  readonly commitTime: bigint;
  readonly xid: number;
}

/** 'C' */
export interface CommitMessage {
  readonly tag: 'commit';
  readonly flags: number;
  /** Start of the commit record. */
  readonly commitLsn: Lsn;
  /** End of the commit record: a safe position to resume from and to acknowledge. */
  readonly endLsn: Lsn;
  /** Microseconds since 2000-01-01 00:00:00 UTC. */
  readonly commitTime: bigint;
}

/** 'O': the transaction came from another node through replication origin `name`. */
export interface OriginMessage {
  readonly tag: 'origin';
  /** The commit LSN on the origin server. */
  readonly originLsn: Lsn;
  readonly name: string;
}

/**
 * 'R': the shape of a table, sent before its first change in a session and after each change of
 * its definition. Changes refer to it by `relationId`.
 */
export interface RelationMessage extends Streamed {
  readonly tag: 'relation';
  /** The table's OID (`pg_class.oid`). */
  readonly relationId: number;
  readonly schema: string;
  readonly name: string;
  readonly replicaIdentity: ReplicaIdentity;
  readonly columns: readonly RelationColumn[];
}

/** 'Y': a non-built-in type used by a column that follows. */
export interface TypeMessage extends Streamed {
  readonly tag: 'type';
  readonly typeOid: number;
  readonly schema: string;
  readonly name: string;
}

/** 'I' */
export interface InsertMessage extends Streamed {
  readonly tag: 'insert';
  readonly relationId: number;
  readonly newTuple: Tuple;
}

/** 'U' */
export interface UpdateMessage extends Streamed {
  readonly tag: 'update';
  readonly relationId: number;
  /** 'K': the old key columns (other columns null), when the key changed. */
  readonly key?: Tuple;
  /** 'O': the whole old row, with REPLICA IDENTITY FULL. */
  readonly old?: Tuple;
  readonly newTuple: Tuple;
}

/** 'D': exactly one of `key` and `old` is set. */
export interface DeleteMessage extends Streamed {
  readonly tag: 'delete';
  readonly relationId: number;
  /** 'K': the key columns (other columns null). */
  readonly key?: Tuple;
  /** 'O': the whole old row, with REPLICA IDENTITY FULL. */
  readonly old?: Tuple;
}

export interface TruncateOptions {
  /** Bit 1: TRUNCATE … CASCADE. */
  readonly cascade: boolean;
  /** Bit 2: TRUNCATE … RESTART IDENTITY. */
  readonly restartIdentity: boolean;
}

/** 'T': one TRUNCATE statement, possibly on several tables. */
export interface TruncateMessage extends Streamed {
  readonly tag: 'truncate';
  readonly options: TruncateOptions;
  readonly relationIds: readonly number[];
  /**
   * Only these partitions of the (partitioned) tables were truncated: the wal2json translator's
   * report; pgoutput publishes nothing for them.
   */
  readonly partitions?: readonly string[];
}

/** 'M': `pg_logical_emit_message` (only with the `messages` option, PG 14+). */
export interface LogicalMessage extends Streamed {
  readonly tag: 'message';
  /** Flag bit 1: the message belongs to the surrounding transaction. */
  readonly transactional: boolean;
  readonly flags: number;
  readonly lsn: Lsn;
  readonly prefix: string;
  readonly content: Buffer;
}

/** 'S': the following changes belong to in-progress transaction `xid` (protocol 2+). */
export interface StreamStartMessage {
  readonly tag: 'streamStart';
  readonly xid: number;
  /** True for the first segment streamed for this xid. */
  readonly first: boolean;
}

/** 'E': ends a StreamStart segment. */
export interface StreamStopMessage {
  readonly tag: 'streamStop';
}

/** 'c': the streamed transaction `xid` committed; apply its segments. */
export interface StreamCommitMessage {
  readonly tag: 'streamCommit';
  readonly xid: number;
  readonly flags: number;
  readonly commitLsn: Lsn;
  readonly endLsn: Lsn;
  /** Microseconds since 2000-01-01 00:00:00 UTC. */
  readonly commitTime: bigint;
}

/** 'A': the streamed (sub)transaction aborted; discard its changes. */
export interface StreamAbortMessage {
  readonly tag: 'streamAbort';
  readonly xid: number;
  /** Equal to `xid` when the whole top-level transaction aborted. */
  readonly subXid: number;
  /** Protocol 4 (parallel streaming, PG 16+) only. */
  readonly abortLsn?: Lsn;
  /** Protocol 4 only; microseconds since 2000-01-01 00:00:00 UTC. */
  readonly abortTime?: bigint;
}

export type PgoutputMessage =
  | BeginMessage
  | CommitMessage
  | OriginMessage
  | RelationMessage
  | TypeMessage
  | InsertMessage
  | UpdateMessage
  | DeleteMessage
  | TruncateMessage
  | LogicalMessage
  | StreamStartMessage
  | StreamStopMessage
  | StreamCommitMessage
  | StreamAbortMessage;

export type PgoutputTag = PgoutputMessage['tag'];
