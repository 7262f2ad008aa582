import type { ClientBase } from 'pg';
import type { ReplicaIdentity } from '../pgoutput/messages';

/** A table by schema and name. */
export interface TableName {
  readonly schema: string;
  readonly table: string;
}

/** A leaf partition of a selected partitioned table (at any depth). */
export interface Partition {
  readonly leaf: TableName;
  readonly root: TableName;
}

export interface LayoutColumn {
  readonly name: string;
  readonly typeOid: number;
  /** `atttypmod`; -1 when unknown (wal2json prints the type's name, not its modifier). */
  readonly typmod: number;
  /** Part of the replica identity (every column with REPLICA IDENTITY FULL), as pgoutput flags it. */
  readonly isKey: boolean;
  /**
   * A fixed-length type is never stored out of line, so when wal2json leaves such a column out of
   * an UPDATE it was dropped, not an unchanged TOAST value.
   */
  readonly fixedLength: boolean;
}

/** A table's columns as the stream loop's Relation messages describe them. */
export interface TableLayout {
  /** `pg_class.oid`: the id pgoutput would use, so relation ids stay stable between runs. */
  readonly relationId: number;
  readonly schema: string;
  readonly table: string;
  readonly replicaIdentity: ReplicaIdentity;
  readonly columns: readonly LayoutColumn[];
}

interface CatalogColumn {
  name: string;
  /** json_build_object writes an oid as a string (only numeric types become JSON numbers). */
  type_oid: string | number;
  typmod: number;
  typlen: number;
  is_key: boolean;
}

/** Built-in fixed-length types (typlen > 0), for columns the catalog did not describe at start. */
const FIXED_LENGTH_OIDS = new Set([
  16, 18, 19, 20, 21, 23, 26, 27, 28, 29, 600, 601, 603, 628, 700, 701, 718, 774, 790, 829, 1082,
  1083, 1114, 1184, 1186, 1266, 2950, 3220,
]);

export const isFixedLengthOid = (oid: number): boolean => FIXED_LENGTH_OIDS.has(oid);

/**
 * The selected tables' current columns, read once before streaming. wal2json names a table and
 * its columns in every message but leaves unchanged TOAST values out of an UPDATE, so the first
 * UPDATE of a session needs to know which columns the table has.
 */
export async function queryTableLayouts(
  client: ClientBase,
  tables: readonly { readonly schema: string; readonly table: string }[],
): Promise<TableLayout[]> {
  if (tables.length === 0) return [];
  const r = await client.query<{
    oid: string;
    schema: string;
    table: string;
    replident: string;
    columns: string;
  }>(
    `SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS table, c.relreplident::text AS replident,
            COALESCE((SELECT json_agg(json_build_object(
                       'name', a.attname, 'type_oid', a.atttypid, 'typmod', a.atttypmod,
                       'typlen', t.typlen,
                       'is_key', c.relreplident = 'f' OR EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                          WHERE i.indrelid = c.oid AND a.attnum = ANY (i.indkey)
                                            AND (i.indisreplident OR (c.relreplident = 'd' AND i.indisprimary))))
                       ORDER BY a.attnum)
                        FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                       WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]')::text AS columns
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN unnest($1::text[], $2::text[]) AS w(schema, name) ON w.schema = n.nspname AND w.name = c.relname`,
    [tables.map((t) => t.schema), tables.map((t) => t.table)],
  );
  // The tap's connections return every value as text (src/db/connect.ts).
  return r.rows.map((row) => ({
    relationId: Number(row.oid),
    schema: row.schema,
    table: row.table,
    replicaIdentity: row.replident as ReplicaIdentity,
    columns: (JSON.parse(row.columns) as CatalogColumn[]).map((c) => ({
      name: c.name,
      typeOid: Number(c.type_oid),
      typmod: c.typmod,
      isKey: c.is_key,
      fixedLength: c.typlen > 0,
    })),
  }));
}

/**
 * The leaf partitions of the partitioned tables among `tables`, at any depth, as the session
 * starts. A partition attached later is not among them: its changes reach the stream from the next
 * run on.
 */
export async function queryPartitions(
  client: ClientBase,
  tables: readonly { readonly schema: string; readonly table: string }[],
): Promise<Partition[]> {
  if (tables.length === 0) return [];
  const r = await client.query<{ rs: string; rt: string; ls: string; lt: string }>(
    `SELECT w.schema AS rs, w.name AS rt, ln.nspname AS ls, leaf.relname AS lt
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       JOIN pg_catalog.pg_namespace AS n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class AS c ON c.relnamespace = n.oid AND c.relname = w.name
      CROSS JOIN LATERAL pg_catalog.pg_partition_tree(c.oid) AS tree
       JOIN pg_catalog.pg_class AS leaf ON leaf.oid = tree.relid
       JOIN pg_catalog.pg_namespace AS ln ON ln.oid = leaf.relnamespace
      WHERE c.relkind = 'p' AND tree.isleaf
      ORDER BY 1, 2, 3, 4`,
    [tables.map((t) => t.schema), tables.map((t) => t.table)],
  );
  return r.rows.map((row) => ({
    root: { schema: row.rs, table: row.rt },
    leaf: { schema: row.ls, table: row.lt },
  }));
}
