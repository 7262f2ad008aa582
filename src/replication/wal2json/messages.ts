/**
 * wal2json format-version 2 messages, one JSON object per replication frame, as requested by
 * `start-options.ts` (include-transaction, include-xids, include-timestamp, include-lsn,
 * include-types, include-type-oids).
 *
 * @see https://github.com/eulerto/wal2json#format-version-2
 */
import { parseLsn, type Lsn } from '../lsn';
import { JsonNumber, parseLosslessJson, type LosslessJson } from './lossless-json';

/** A column value exactly as wal2json printed it: numbers keep their source text. */
export type Wal2jsonValue = null | boolean | string | JsonNumber;

export interface Wal2jsonColumn {
  readonly name: string;
  /** `format_type(atttypid, atttypmod)`, e.g. `numeric(12,2)`. */
  readonly type: string;
  readonly typeOid: number;
  readonly value: Wal2jsonValue;
}

interface Transactional {
  readonly xid: number;
  /** `timestamptz` text of the commit time in the walsender's TimeZone (UTC for the tap). */
  readonly timestamp: string;
}

/** B and C: `lsn` is the start of the commit record, `nextlsn` its end. */
interface Boundary extends Transactional {
  readonly lsn: Lsn;
  readonly nextLsn: Lsn;
}

export interface Wal2jsonBegin extends Boundary {
  readonly action: 'B';
}

export interface Wal2jsonCommit extends Boundary {
  readonly action: 'C';
}

export type Wal2jsonBoundary = Wal2jsonBegin | Wal2jsonCommit;

export interface Wal2jsonChange extends Transactional {
  readonly action: 'I' | 'U' | 'D';
  readonly lsn: Lsn;
  readonly schema: string;
  readonly table: string;
  /** The new row (I, U); unchanged out-of-line (TOAST) values are left out. */
  readonly columns?: readonly Wal2jsonColumn[];
  /** The replica identity: key columns, or the whole old row with REPLICA IDENTITY FULL. */
  readonly identity?: readonly Wal2jsonColumn[];
}

/** One table of a TRUNCATE statement (a statement on n tables gives n messages). */
export interface Wal2jsonTruncate extends Transactional {
  readonly action: 'T';
  readonly lsn: Lsn;
  readonly schema: string;
  readonly table: string;
}

/** `pg_logical_emit_message`. */
export interface Wal2jsonMessage {
  readonly action: 'M';
  readonly lsn: Lsn;
  readonly transactional: boolean;
  readonly prefix: string;
  readonly content: string;
}

export type Wal2jsonRecord = Wal2jsonBoundary | Wal2jsonChange | Wal2jsonTruncate | Wal2jsonMessage;

export class Wal2jsonParseError extends Error {}

type JsonObject = { readonly [key: string]: LosslessJson };

function isObject(v: LosslessJson | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

function fail(why: string): never {
  throw new Wal2jsonParseError(`unexpected wal2json output: ${why}`);
}

function str(o: JsonObject, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') fail(`"${key}" is not a string`);
  return v;
}

function uint(o: JsonObject, key: string): number {
  const v = o[key];
  if (!(v instanceof JsonNumber) || !/^\d+$/.test(v.text)) fail(`"${key}" is not an integer`);
  return Number(v.text);
}

function lsn(o: JsonObject, key: string): Lsn {
  return parseLsn(str(o, key));
}

function columns(o: JsonObject, key: string): readonly Wal2jsonColumn[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) fail(`"${key}" is not an array`);
  return (v as readonly LosslessJson[]).map((c) => {
    if (!isObject(c)) fail(`an entry of "${key}" is not an object`);
    const value = c.value;
    if (value === undefined || Array.isArray(value) || isObject(value)) {
      fail(`a value in "${key}" is missing or not a scalar`);
    }
    return {
      name: str(c, 'name'),
      type: str(c, 'type'),
      typeOid: uint(c, 'typeoid'),
      value: value as Wal2jsonValue,
    };
  });
}

function transactional(o: JsonObject): Transactional {
  return { xid: uint(o, 'xid'), timestamp: str(o, 'timestamp') };
}

/** Parses one frame's payload. */
export function parseWal2json(payload: Buffer): Wal2jsonRecord {
  const o = parseLosslessJson(payload.toString('utf8'));
  if (!isObject(o)) fail('the message is not an object');
  const action = str(o, 'action');
  switch (action) {
    case 'B':
    case 'C':
      return { action, ...transactional(o), lsn: lsn(o, 'lsn'), nextLsn: lsn(o, 'nextlsn') };
    case 'I':
    case 'U':
    case 'D': {
      const cols = columns(o, 'columns');
      const identity = columns(o, 'identity');
      return {
        action,
        ...transactional(o),
        lsn: lsn(o, 'lsn'),
        schema: str(o, 'schema'),
        table: str(o, 'table'),
        ...(cols ? { columns: cols } : {}),
        ...(identity ? { identity } : {}),
      };
    }
    case 'T':
      return {
        action,
        ...transactional(o),
        lsn: lsn(o, 'lsn'),
        schema: str(o, 'schema'),
        table: str(o, 'table'),
      };
    case 'M':
      if (typeof o.transactional !== 'boolean') fail('"transactional" is not a boolean');
      return {
        action,
        lsn: lsn(o, 'lsn'),
        transactional: o.transactional,
        prefix: str(o, 'prefix'),
        content: str(o, 'content'),
      };
    default:
      return fail(`unknown action "${action}"`);
  }
}
