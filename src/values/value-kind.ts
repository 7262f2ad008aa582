import type { BaseType } from '../types/resolved-type';

/**
 * How a base type's text becomes JSON. One name per output shape, so the JSON Schema mapping can
 * key off the same classification and never disagree with what is emitted.
 */
export const VALUE_KINDS = [
  /** JSON integer, digits as printed. */
  'integer',
  /** JSON number, digits as printed; NaN / ±Infinity → null. */
  'numeric',
  /** JSON number, shortest-exact digits as printed; NaN / ±Infinity → null. */
  'float',
  'boolean',
  /** The document itself, minified. */
  'json',
  /** JSON object of string (or null) values. */
  'hstore',
  /** String of lowercase hex digits, without PostgreSQL's `\x` prefix. */
  'bytea',
  /** `YYYY-MM-DD`. */
  'date',
  /** RFC 3339 in UTC, `…+00:00`. */
  'timestamp',
  'timestamptz',
  /** `HH:MM:SS[.ffffff]` string. */
  'time',
  /** `HH:MM:SS[.ffffff]±HH[:MM[:SS]]` string, the offset kept (it is part of the value). */
  'timetz',
  /** ISO 8601 duration string, e.g. `P1Y2M-3DT4H5M6.5S`. */
  'interval',
  /** JSON string of the text as printed. */
  'string',
] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

/** Built-in base types by pg_type.typname. Anything not named here is a string. */
const BY_NAME: Readonly<Record<string, ValueKind>> = {
  int2: 'integer',
  int4: 'integer',
  int8: 'integer',
  oid: 'integer',
  numeric: 'numeric',
  float4: 'float',
  float8: 'float',
  bool: 'boolean',
  json: 'json',
  jsonb: 'json',
  bytea: 'bytea',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  time: 'time',
  timetz: 'timetz',
  interval: 'interval',
};

/** Extension types recognised by name in whatever schema they were installed. */
const EXTENSION_KINDS: Readonly<Record<string, ValueKind>> = { hstore: 'hstore' };

/**
 * Enums, ranges, multiranges and composites are strings whatever they are called (a user's enum
 * named `date` is still an enum); built-in names count only in pg_catalog, as in the JSON Schema
 * mapping. Unknown base types are strings too, even in numeric categories: `regclass`, `xid` and
 * extension types print text whose shape this table cannot vouch for.
 */
export function valueKindOf(base: BaseType): ValueKind {
  if (base.typtype !== 'b') return 'string';
  const table = base.schema === 'pg_catalog' ? BY_NAME : EXTENSION_KINDS;
  return Object.prototype.hasOwnProperty.call(table, base.name) ? table[base.name]! : 'string';
}

/**
 * typdelim of the element type: `;` for box (whose own text contains commas), `,` for every other
 * built-in type.
 */
export function arrayDelimiterOf(base: BaseType): string {
  return base.typtype === 'b' && base.schema === 'pg_catalog' && base.name === 'box' ? ';' : ',';
}
