import type { ResolvedType } from './resolved-type';

/**
 * Base types discovery offers as `valid-replication-keys`. INCREMENTAL runs
 * `WHERE key >= bookmark ORDER BY key` with the bookmark read back from the state, so a key must
 * have a total order PostgreSQL indexes and a JSON value that casts back to the same value:
 * integers, numeric, date, timestamp(tz), character types and uuid.
 *
 * Left out on purpose: real/double (NaN becomes null in records and cannot be a bookmark), money
 * (its text depends on lc_monetary), time/timetz (wraps at midnight, so not a change marker),
 * boolean, enums, json, arrays, ranges, geometric and network types.
 */
export const REPLICATION_KEY_TYPES: ReadonlySet<string> = new Set([
  'int2',
  'int4',
  'int8',
  'numeric',
  'date',
  'timestamp',
  'timestamptz',
  'text',
  'varchar',
  'bpchar',
  'citext',
  'uuid',
]);

export function isReplicationKeyType(type: ResolvedType): boolean {
  const builtIn = type.base.schema === 'pg_catalog' || type.base.name === 'citext';
  return (
    type.arrayDims === 0 &&
    type.base.typtype === 'b' &&
    builtIn &&
    REPLICATION_KEY_TYPES.has(type.base.name)
  );
}
