import type { ClientBase } from 'pg';
import type { Introspection } from './introspection';

/** Anything that runs a query: a pg Client, a pool client. */
export type Queryable = Pick<ClientBase, 'query'>;

/**
 * The recursive step of CTE `typ(oid)`: from a type to its domain's base, its array's element and
 * its composite's attribute types, so a type nested in any of them resolves in the same statement.
 * Shared by discovery and LOG_BASED's type lookup.
 */
export const TYPE_WALK_STEP = `  SELECT next.oid
    FROM typ
    JOIN pg_type AS t ON t.oid = typ.oid
    LEFT JOIN pg_attribute AS a
      ON t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
   CROSS JOIN LATERAL (VALUES (t.typbasetype), (t.typelem), (a.atttypid)) AS next(oid)
   WHERE next.oid <> 0`;

/**
 * Every type the rows of CTE `typ(oid)` reach, as JSON `TypeRow`s: shared by discovery and by
 * LOG_BASED's lookup of a column added while streaming, so both resolve types alike.
 */
export const TYPE_ROWS_JSON = `    SELECT coalesce(json_agg(ty), '[]')
      FROM (SELECT t.oid::text AS "oid", t.typname AS "name", tn.nspname AS "schema",
                   t.typtype AS "typtype", t.typcategory AS "category",
                   nullif(t.typbasetype, 0)::text AS "baseTypeOid", t.typtypmod AS "typmod",
                   t.typndims AS "ndims",
                   -- typelem is also set on fixed-length types (point, name): only a type that
                   -- is its element's typarray is a true array.
                   CASE WHEN elem.typarray = t.oid THEN t.typelem::text END AS "elementOid",
                   CASE WHEN t.typtype = 'e' THEN (
                     SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder)
                       FROM pg_enum AS e WHERE e.enumtypid = t.oid) END AS "enumLabels",
                   -- the fields a composite's row literal prints, in its order
                   CASE WHEN t.typtype = 'c' THEN coalesce(ca.attrs, '[]') END AS "attributes"
              FROM typ
              JOIN pg_type AS t ON t.oid = typ.oid
              JOIN pg_namespace AS tn ON tn.oid = t.typnamespace
              LEFT JOIN pg_type AS elem ON elem.oid = t.typelem
              -- a join, not a subquery per type: the planner's guess of the walk's rows times a
              -- per-row subquery's cost crossed jit_above_cost, and JIT took seconds
              LEFT JOIN (
                SELECT a.attrelid,
                       json_agg(json_build_object(
                         'name', a.attname, 'typeOid', a.atttypid::text, 'typmod', a.atttypmod,
                         'sqlType', format_type(a.atttypid, a.atttypmod), 'dims', a.attndims)
                         ORDER BY a.attnum) AS attrs
                  FROM pg_attribute AS a
                 WHERE a.attrelid IN (SELECT ct.typrelid
                                        FROM typ AS ctyp
                                        JOIN pg_type AS ct ON ct.oid = ctyp.oid
                                       WHERE ct.typtype = 'c')
                   AND a.attnum > 0 AND NOT a.attisdropped
                 GROUP BY a.attrelid) AS ca ON ca.attrelid = t.typrelid) AS ty)`;

/**
 * The whole introspection is one statement: one round trip and one snapshot whatever the number
 * of tables (a table created or dropped meanwhile cannot leave columns without their table), and
 * no per-table queries. It reads pg_catalog, not information_schema, which hides what the tap
 * needs (typmods, domains over domains, attndims, partitions) and is much slower.
 *
 * The result is a single JSON document cast to text, so it arrives the same whatever type parsers
 * the client has. `$1` is the schema filter (text[] or NULL); nothing is interpolated.
 *
 * - Streams: tables, views, materialized views, partitioned tables; partitions are reached
 *   through their parent (their reltuples are summed into it) and are not streams themselves.
 * - Like pipelinewise, only what the user may SELECT is listed (tables with at least one readable
 *   column, readable columns, in schemas it has USAGE on), so a catalog never offers what a sync
 *   could not read.
 * - Types: a recursive walk from the column types through domain bases, array elements and
 *   composite attributes, so that a domain over a domain over an array of a composite resolves
 *   without further queries.
 */
export const CATALOG_QUERY = `
WITH RECURSIVE
rel AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, c.relreplident,
         has_table_privilege(c.oid, 'SELECT') AS readable,
         CASE WHEN c.relkind = 'p' THEN (
           SELECT coalesce(sum(greatest(leaf.reltuples, 0)), 0)
             FROM pg_partition_tree(c.oid) AS tree
             JOIN pg_class AS leaf ON leaf.oid = tree.relid
            WHERE tree.isleaf)
         ELSE greatest(c.reltuples, 0) END AS row_estimate
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'v', 'm', 'p')
     AND NOT c.relispartition
     AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg\\_toast%'
     AND n.nspname NOT LIKE 'pg\\_temp%'
     AND ($1::text[] IS NULL OR n.nspname = ANY ($1::text[]))
     -- table grants do not reach into a schema the role may not use
     AND has_schema_privilege(n.oid, 'USAGE')
     AND has_any_column_privilege(c.oid, 'SELECT')
),
col AS (
  SELECT a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull, a.attndims
    FROM rel
    JOIN pg_attribute AS a ON a.attrelid = rel.oid
   WHERE a.attnum > 0
     AND NOT a.attisdropped
     -- the per-column check only where table-level SELECT is missing: it is the costly part
     AND (rel.readable OR has_column_privilege(a.attrelid, a.attnum, 'SELECT'))
),
pk AS (
  SELECT con.conrelid, json_agg(a.attname ORDER BY key.ord) AS cols
    FROM pg_constraint AS con
    JOIN rel ON rel.oid = con.conrelid
   CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS key(attnum, ord)
    JOIN pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = key.attnum
   WHERE con.contype = 'p'
   GROUP BY con.conrelid
),
ident AS (
  SELECT i.indrelid, json_agg(a.attname ORDER BY key.ord) AS cols
    FROM pg_index AS i
    JOIN rel ON rel.oid = i.indrelid
   CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS key(attnum, ord)
    JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = key.attnum
   WHERE i.indisreplident
   GROUP BY i.indrelid
),
typ(oid) AS (
  SELECT DISTINCT atttypid FROM col
  UNION
${TYPE_WALK_STEP}
)
SELECT json_build_object(
  'relations', (
    SELECT coalesce(json_agg(r ORDER BY r.schema, r.name), '[]')
      FROM (SELECT rel.oid::text AS "oid", rel.nspname AS "schema", rel.relname AS "name",
                   rel.relkind AS "kind", round(rel.row_estimate)::int8 AS "rowEstimate",
                   coalesce(pk.cols, '[]') AS "primaryKey",
                   rel.relpersistence = 'u' AS "unlogged",
                   rel.relreplident::text AS "replicaIdentity",
                   coalesce(ident.cols, '[]') AS "replicaIdentityIndex"
              FROM rel
              LEFT JOIN pk ON pk.conrelid = rel.oid
              LEFT JOIN ident ON ident.indrelid = rel.oid) AS r),
  'columns', (
    SELECT coalesce(json_agg(c ORDER BY c."relationOid", c."position"), '[]')
      FROM (SELECT attrelid::text AS "relationOid", attnum AS "position", attname AS "name",
                   atttypid::text AS "typeOid", atttypmod AS "typmod",
                   format_type(atttypid, atttypmod) AS "sqlType", attnotnull AS "notNull",
                   attndims AS "dims"
              FROM col) AS c),
  'types', (
${TYPE_ROWS_JSON}
)::text AS doc`;

/**
 * Reads every stream, column and type discovery needs in one round trip.
 * @param schemas only these schemas; null (or an empty list, as MeltanoLabs reads it) for all
 *   non-system schemas.
 */
export async function queryCatalog(
  client: Queryable,
  schemas: readonly string[] | null,
): Promise<Introspection> {
  const filter = schemas && schemas.length > 0 ? [...schemas] : null;
  const result = await client.query<{ doc: string }>(CATALOG_QUERY, [filter]);
  const doc = result.rows[0]?.doc;
  if (typeof doc !== 'string') throw new Error('catalog query returned no document');
  return JSON.parse(doc) as Introspection;
}
