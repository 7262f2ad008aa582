import { createHash } from 'node:crypto';
import type { Queryable } from '../../discovery/catalog-query';

/**
 * What a LOG_BASED stream's rows depend on besides the changes the slot sends. PostgreSQL sends
 * nothing when a table is dropped and created again under the same name (a new OID), when a
 * partition is attached or detached, or when one partition is truncated (its storage, the
 * relfilenode, is replaced); a bookmark remembers these, and a stream whose table differs from its
 * bookmark's is copied again under a new version.
 */
export interface TableIdentity {
  readonly oid: number;
  /** Partitioned tables: a digest of the leaf partitions and their storage; null otherwise. */
  readonly partitions: string | null;
}

interface Row {
  schema: string;
  name: string;
  oid: string;
  leaves: string | null;
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
                 WHERE tree.isleaf) END AS leaves
         FROM unnest($1::text[], $2::text[]) AS t(schema, name)
         JOIN pg_catalog.pg_namespace AS n ON n.nspname = t.schema
         JOIN pg_catalog.pg_class AS c ON c.relnamespace = n.oid AND c.relname = t.name`,
      [tables.map((t) => t.schemaName), tables.map((t) => t.tableName)],
    )
  ).rows;
  return new Map(
    rows.map((r) => [
      identityKey(r.schema, r.name),
      {
        oid: Number(r.oid),
        // A digest keeps STATE small for tables with thousands of partitions.
        partitions:
          r.leaves === null
            ? null
            : createHash('sha256').update(r.leaves).digest('hex').slice(0, 16),
      },
    ]),
  );
}

export const identityKey = (schema: string, table: string): string =>
  JSON.stringify([schema, table]);

/** The bookmark fields that record an identity. */
export function identityBookmark(id: TableIdentity | undefined): Record<string, unknown> {
  if (!id) return {};
  return { table_oid: id.oid, ...(id.partitions === null ? {} : { partitions: id.partitions }) };
}

/**
 * Why the live table is not the one the bookmark was taken from, or null. A bookmark without
 * these fields (older states, other taps) is taken as matching.
 */
export function identityChange(
  bookmark: Readonly<Record<string, unknown>>,
  live: TableIdentity,
): string | null {
  const oid = bookmark.table_oid;
  if (typeof oid === 'number' && oid !== live.oid) {
    return `the table was dropped and created again since the last run (OID ${oid}, now ${live.oid})`;
  }
  const parts = bookmark.partitions;
  if (typeof parts === 'string' && live.partitions !== null && parts !== live.partitions) {
    return 'a partition was attached, detached or truncated since the last run (PostgreSQL does not send these through the partitioned table)';
  }
  return null;
}
