import type { SelectedStream } from '../catalog/stream-selection';
import { queryCatalog, type Queryable } from '../discovery/catalog-query';
import { resolveColumnType, typesByOid } from '../discovery/resolve-type';
import { qualifiedName, quoteIdent } from '../db/quote';
import { ok, type Finding } from '../readiness/finding';
import { isReplicationKeyType } from '../types/replication-key-types';

interface RelationRow {
  schema_oid: string | null;
  oid: string | null;
  usage: string | null;
  select: string | null;
}

interface AttributeRow {
  name: string;
  readable: string;
}

const DISCOVER_AGAIN = 'run --discover again, or deselect it in the catalog';

/**
 * What every selected stream needs whatever its method: the table exists, the role may use its
 * schema and SELECT it (or at least each selected column), the selected columns exist, and an
 * INCREMENTAL stream's replication key has a type the tap can bookmark and order by.
 */
export async function streamFindings(
  client: Queryable,
  stream: SelectedStream,
  role: string,
): Promise<Finding[]> {
  const name = `${stream.schemaName}.${stream.tableName}`;
  const table = qualifiedName(stream.schemaName, stream.tableName);
  const rel = (
    await client.query<RelationRow>(
      `SELECT n.oid::text AS schema_oid, c.oid::text AS oid,
              pg_catalog.has_schema_privilege(n.oid, 'USAGE')::text AS usage,
              pg_catalog.has_table_privilege(c.oid, 'SELECT')::text AS select
         FROM (SELECT 1) AS one
         LEFT JOIN pg_catalog.pg_namespace AS n ON n.nspname = $1
         LEFT JOIN pg_catalog.pg_class AS c
           ON c.relnamespace = n.oid AND c.relname = $2 AND c.relkind IN ('r', 'v', 'm', 'p')`,
      [stream.schemaName, stream.tableName],
    )
  ).rows[0]!;
  if (!rel.oid) {
    return [{ status: 'problem', what: `table ${name} does not exist`, then: DISCOVER_AGAIN }];
  }
  const out: Finding[] = [];
  if (rel.usage !== 'true') {
    out.push({
      status: 'problem',
      what: `role '${role}' may not use schema ${stream.schemaName}`,
      fix: `GRANT USAGE ON SCHEMA ${quoteIdent(stream.schemaName)} TO ${quoteIdent(role)};`,
    });
  }
  const attrs = (
    await client.query<AttributeRow>(
      `SELECT attname AS name,
              pg_catalog.has_column_privilege(attrelid, attnum, 'SELECT')::text AS readable
         FROM pg_catalog.pg_attribute
        WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped`,
      [rel.oid],
    )
  ).rows;
  const byName = new Map(attrs.map((a) => [a.name, a]));
  const gone = stream.columns.filter((c) => !byName.has(c));
  const unreadable = stream.columns.filter((c) => byName.get(c)?.readable === 'false');
  for (const c of gone) {
    out.push({
      status: 'problem',
      what: `column '${c}' of ${name} does not exist`,
      then: DISCOVER_AGAIN,
    });
  }
  if (rel.select === 'true') {
    out.push(ok(`role '${role}' may SELECT ${name}`));
  } else if (unreadable.length > 0) {
    out.push({
      status: 'problem',
      what: `role '${role}' may not SELECT ${name}${unreadable.length < stream.columns.length ? ` (columns ${unreadable.join(', ')})` : ''}`,
      fix: `GRANT SELECT ON ${table} TO ${quoteIdent(role)};`,
    });
  } else {
    out.push(ok(`role '${role}' may SELECT the selected columns of ${name}`));
  }
  if (gone.length === 0) {
    const n = stream.columns.length;
    out.push(ok(n === 1 ? 'the selected column exists' : `the ${n} selected columns exist`));
  }
  const key = stream.replicationKey;
  if (key && byName.has(key) && rel.usage === 'true') {
    out.push(await replicationKeyFinding(client, stream, key));
  }
  return out;
}

async function replicationKeyFinding(
  client: Queryable,
  stream: SelectedStream,
  key: string,
): Promise<Finding> {
  const intro = await queryCatalog(client, [stream.schemaName]);
  const rel = intro.relations.find(
    (r) => r.schema === stream.schemaName && r.name === stream.tableName,
  );
  const col = rel && intro.columns.find((c) => c.relationOid === rel.oid && c.name === key);
  // Not readable: the privilege finding above already says so.
  if (!col) return { status: 'unknown', what: `replication key '${key}': type not visible` };
  const type = resolveColumnType(col, typesByOid(intro.types));
  if (isReplicationKeyType(type)) return ok(`replication key '${key}' (${type.sqlType})`);
  return {
    status: 'problem',
    what: `replication key '${key}' is of type ${type.sqlType}, which cannot be bookmarked and ordered (use an integer, numeric, date, timestamp, text or uuid column)`,
    then: "pick one of the stream's valid-replication-keys",
  };
}
