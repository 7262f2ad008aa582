import { createHash } from 'node:crypto';
import type { Queryable } from '../../discovery/catalog-query';

/**
 * What a LOG_BASED stream's rows depend on besides the changes the slot sends. PostgreSQL sends
 * nothing when a table is dropped and created again under the same name (a new OID), when a
 * partition is attached or detached, when one partition is truncated (its storage, the
 * relfilenode, is replaced), or when ALTER COLUMN … TYPE rewrites every row; a bookmark remembers
 * these, and a stream whose table differs from its bookmark's is copied again under a new version.
 */
export interface TableIdentity {
  readonly oid: number;
  /** Partitioned tables: a digest of the leaf partitions and their storage; null otherwise. */
  readonly partitions: string | null;
  /** Each column's attnum: a rename keeps it, an added column gets a new one. */
  readonly columns: Readonly<Record<string, number>>;
  /**
   * Columns whose existing rows may hold a value no change sent: a default (fast default, or one
   * that rewrote the table) or a generated column.
   */
  readonly filled: ReadonlySet<string>;
  /**
   * Each column's type as PostgreSQL formats it (`varchar(20)` → `character varying(20)`):
   * ALTER COLUMN … TYPE rewrites every row (a shorter varchar USING left(…), a smaller numeric
   * scale) and logical decoding sends none of it.
   */
  readonly types: Readonly<Record<string, string>>;
}

interface Row {
  schema: string;
  name: string;
  oid: string;
  leaves: string | null;
  /** JSON: [[name, attnum, filled, type], …]. */
  cols: string;
}

/** The live identity of each table, by `[schema, table]` JSON key; absent when it does not exist. */
export async function tableIdentities(
  client: Queryable,
  tables: readonly { readonly schemaName: string; readonly tableName: string }[],
): Promise<Map<string, TableIdentity>> {
  const rows = (
    await client.query<Row>(
      `SELECT t.schema, t.name, c.oid::text AS oid,
              CASE WHEN c.relkind = 'p' THEN (
                SELECT coalesce(string_agg(leaf.oid::text || '/' || leaf.relfilenode::text, ','
                                           ORDER BY leaf.oid), '')
                  FROM pg_catalog.pg_partition_tree(c.oid) AS tree
                  JOIN pg_catalog.pg_class AS leaf ON leaf.oid = tree.relid
                 WHERE tree.isleaf) END AS leaves,
              (SELECT coalesce(json_agg(json_build_array(a.attname, a.attnum,
                                                         a.atthasdef OR a.atthasmissing,
                                                         pg_catalog.format_type(a.atttypid,
                                                                                a.atttypmod))),
                               '[]')
                 FROM pg_catalog.pg_attribute AS a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::text AS cols
         FROM unnest($1::text[], $2::text[]) AS t(schema, name)
         JOIN pg_catalog.pg_namespace AS n ON n.nspname = t.schema
         JOIN pg_catalog.pg_class AS c ON c.relnamespace = n.oid AND c.relname = t.name`,
      [tables.map((t) => t.schemaName), tables.map((t) => t.tableName)],
    )
  ).rows;
  return new Map(
    rows.map((r) => {
      const cols = JSON.parse(r.cols) as [string, number, boolean, string][];
      const identity: TableIdentity = {
        oid: Number(r.oid),
        // A digest keeps STATE small for tables with thousands of partitions.
        partitions:
          r.leaves === null
            ? null
            : createHash('sha256').update(r.leaves).digest('hex').slice(0, 16),
        columns: Object.fromEntries(cols.map(([n, a]) => [n, a])),
        filled: new Set(cols.filter(([, , f]) => f).map(([n]) => n)),
        types: Object.fromEntries(cols.map(([n, , , t]) => [n, t])),
      };
      return [identityKey(r.schema, r.name), identity];
    }),
  );
}

export const identityKey = (schema: string, table: string): string =>
  JSON.stringify([schema, table]);

/**
 * What a stream makes of its table, recorded next to the identity: columns it does not read, its
 * key properties, and each column's JSON kind (stream-shape.ts `jsonKind`), because a type change
 * no change in the WAL shows (`ALTER … TYPE` with no write since) still leaves the target's
 * values in the old JSON type, and a target keyed by old key properties cannot match rows.
 */
export interface StreamFacts {
  readonly deselected: readonly string[];
  readonly keyProperties: readonly string[];
  readonly kinds: Readonly<Record<string, string>>;
}

/** The bookmark fields that record an identity and the stream's facts. */
export function identityBookmark(
  id: TableIdentity | undefined,
  facts: StreamFacts,
): Record<string, unknown> {
  const stream = { key_properties: facts.keyProperties, column_kinds: facts.kinds };
  if (!id) return stream;
  const selected = <T>(byName: Readonly<Record<string, T>>): Record<string, T> =>
    Object.fromEntries(Object.entries(byName).filter(([n]) => !facts.deselected.includes(n)));
  return {
    table_oid: id.oid,
    ...(id.partitions === null ? {} : { partitions: id.partitions }),
    columns: selected(id.columns),
    column_types: typeDigests(selected(id.types)),
    ...stream,
  };
}

/**
 * A short digest of each column's type, by column: per column rather than one digest of all, so
 * that a column added (without a default) or dropped, which rewrites no existing value, is not
 * taken for a type change; short, because STATE holds one per column of every LOG_BASED table.
 */
function typeDigests(types: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(types).map(([n, t]) => [
      n,
      createHash('sha256').update(t).digest('hex').slice(0, 8),
    ]),
  );
}

/**
 * How a column the stream did not know when the run started came to be, by its attnum now
 * (`live` null: it is gone again): `added` empty for every existing row, or else rows no
 * change touched hold values the stream never saw.
 */
export type ColumnOrigin = 'added' | 'filled' | 'renamed' | 'gone';

export function columnOrigin(
  start: TableIdentity,
  live: { attnum: number; filled: boolean } | null,
): ColumnOrigin {
  if (!live) return 'gone';
  const max = Math.max(0, ...Object.values(start.columns));
  if (live.attnum <= max) return 'renamed';
  return live.filled ? 'filled' : 'added';
}

/** A column of a table as it is now, by name. */
export async function liveColumn(
  client: Queryable,
  schema: string,
  table: string,
  name: string,
): Promise<{ attnum: number; filled: boolean } | null> {
  const r = await client.query<{ attnum: string; filled: string }>(
    `SELECT a.attnum::text AS attnum, (a.atthasdef OR a.atthasmissing)::text AS filled
       FROM pg_catalog.pg_attribute AS a
       JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
       JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND a.attnum > 0
        AND NOT a.attisdropped`,
    [schema, table, name],
  );
  const row = r.rows[0];
  return row ? { attnum: Number(row.attnum), filled: row.filled === 'true' } : null;
}

/**
 * Why the live table is not the one the bookmark was taken from, or null. A bookmark without
 * these fields (older states, other taps) is taken as matching.
 */
export function identityChange(
  bookmark: Readonly<Record<string, unknown>>,
  live: TableIdentity | undefined,
  facts: StreamFacts,
): string | null {
  const keys = bookmark.key_properties;
  if (Array.isArray(keys) && keys.join('\u0000') !== facts.keyProperties.join('\u0000')) {
    return `its key properties changed since the last run (${JSON.stringify(keys)}, now ${JSON.stringify(facts.keyProperties)}): a target keyed by the old ones cannot match its rows`;
  }
  const kinds = bookmark.column_kinds;
  if (kinds && typeof kinds === 'object' && !Array.isArray(kinds)) {
    for (const [column, kind] of Object.entries(facts.kinds)) {
      const was = (kinds as Record<string, unknown>)[column];
      if (typeof was === 'string' && was !== kind) {
        return `column '${column}' changed type since the last run (JSON ${was}, now ${kind}): the target's values are in the old type`;
      }
    }
  }
  if (!live) return null;
  const deselected = facts.deselected;
  const oid = bookmark.table_oid;
  if (typeof oid === 'number' && oid !== live.oid) {
    return `the table was dropped and created again since the last run (OID ${oid}, now ${live.oid})`;
  }
  const parts = bookmark.partitions;
  if (typeof parts === 'string' && live.partitions !== null && parts !== live.partitions) {
    return 'a partition was attached, detached or truncated since the last run (PostgreSQL does not send these through the partitioned table)';
  }
  const before = bookmark.columns;
  if (before && typeof before === 'object' && !Array.isArray(before)) {
    const stored = before as Record<string, unknown>;
    const byAttnum = new Map(Object.entries(stored).map(([n, a]) => [a, n]));
    const max = Math.max(
      0,
      ...Object.values(stored).filter((a): a is number => typeof a === 'number'),
    );
    for (const [name, attnum] of Object.entries(live.columns)) {
      if (deselected.includes(name)) continue;
      const was = byAttnum.get(attnum);
      if (was !== undefined && was !== name) {
        return `column '${was}' was renamed to '${name}' since the last run: rows no change touched since would keep their values under the old name only`;
      }
      if (attnum > max && live.filled.has(name)) {
        return `column '${name}' was added with a default (or generated) since the last run: rows no change touched since hold values the change stream does not send`;
      }
    }
  }
  // Absent in bookmarks of earlier versions: taken as matching (the run records it), or every
  // LOG_BASED table would be copied again on upgrade.
  const types = bookmark.column_types;
  if (types && typeof types === 'object' && !Array.isArray(types)) {
    const stored = types as Record<string, unknown>;
    const now = typeDigests(live.types);
    for (const [name, digest] of Object.entries(now)) {
      if (deselected.includes(name)) continue;
      const was = stored[name];
      if (typeof was === 'string' && was !== digest) {
        return `column '${name}' changed type since the last run (now ${live.types[name]}): PostgreSQL rewrote every row's value in the new type and the change stream sends none of it`;
      }
    }
  }
  return null;
}
