import type { Queryable } from './catalog-query';

/** What the server says about one schema named in filter_schemas. */
export interface SchemaStatus {
  readonly name: string;
  readonly exists: boolean;
  /** USAGE on the schema: without it none of its tables can be read, whatever their grants. */
  readonly usable: boolean;
  /** Tables, views, materialized views and partitioned tables (partitions count through their parent). */
  readonly relations: number;
  /** Of those, the ones with at least one column the role may SELECT. */
  readonly readable: number;
  /** A schema whose name differs only in case: names in filter_schemas are case-sensitive. */
  readonly similar: string | null;
}

/** Every value arrives as text (src/db/connect.ts), so booleans and counts are read back here. */
const SCHEMA_STATUS_QUERY = `
SELECT s.name,
       (n.oid IS NOT NULL)::text AS exists,
       coalesce(pg_catalog.has_schema_privilege(n.oid, 'USAGE'), false)::text AS usable,
       (SELECT count(*) FROM pg_catalog.pg_class AS c
         WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'v', 'm', 'p')
           AND NOT c.relispartition)::text AS relations,
       (SELECT count(*) FROM pg_catalog.pg_class AS c
         WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'v', 'm', 'p')
           AND NOT c.relispartition
           AND pg_catalog.has_any_column_privilege(c.oid, 'SELECT'))::text AS readable,
       (SELECT min(o.nspname) FROM pg_catalog.pg_namespace AS o
         WHERE lower(o.nspname) = lower(s.name) AND o.nspname <> s.name) AS similar
  FROM unnest($1::text[]) WITH ORDINALITY AS s(name, ord)
  LEFT JOIN pg_catalog.pg_namespace AS n ON n.nspname = s.name
 ORDER BY s.ord`;

export async function inspectSchemas(
  client: Queryable,
  schemas: readonly string[],
): Promise<SchemaStatus[]> {
  const r = await client.query<
    Record<'name' | 'exists' | 'usable' | 'relations' | 'readable', string> & {
      similar: string | null;
    }
  >(SCHEMA_STATUS_QUERY, [[...schemas]]);
  return r.rows.map((row) => ({
    name: row.name,
    exists: row.exists === 'true',
    usable: row.usable === 'true',
    relations: Number(row.relations),
    readable: Number(row.readable),
    similar: row.similar,
  }));
}

/**
 * Why a schema in filter_schemas gives no stream, one line each; nothing for a schema that
 * gives streams. Without these a misspelt or unreadable schema discovers nothing without a word.
 */
export function schemaFilterWarnings(
  statuses: readonly SchemaStatus[],
  role: string,
  database: string,
): string[] {
  const out: string[] = [];
  for (const s of statuses) {
    const name = `'${s.name}'`;
    if (!s.exists) {
      const hint =
        s.similar === null ? '' : `; did you mean '${s.similar}'? (names are case-sensitive)`;
      out.push(`filter_schemas: schema ${name} does not exist in database '${database}'${hint}`);
    } else if (!s.usable) {
      out.push(
        `filter_schemas: role '${role}' has no USAGE privilege on schema ${name}, so none of its tables can be read or discovered`,
      );
    } else if (s.relations === 0) {
      out.push(`filter_schemas: schema ${name} has no tables or views`);
    } else if (s.readable === 0) {
      out.push(
        `filter_schemas: role '${role}' may SELECT none of the ${s.relations} tables and views in schema ${name}`,
      );
    }
  }
  return out;
}
