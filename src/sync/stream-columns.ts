import type { SelectedStream } from '../catalog/stream-selection';
import { queryCatalog, type Queryable } from '../discovery/catalog-query';
import type { ColumnRow } from '../discovery/introspection';
import { jsonSchemaFor } from '../types/json-schema-mapping';
import { replicaIdentityOf, type ReplicaIdentity } from '../discovery/replica-identity';
import { resolveColumnType, typesByOid } from '../discovery/resolve-type';
import { InputError } from '../errors';
import type { ResolvedType } from '../types/resolved-type';
import type { ValuePolicy } from '../values';
import { withKeyColumns } from './key-properties';
import { withLiveTypes, type Retyped } from './live-schema';

/** A selected stream's columns with their types as the database has them now. */
export interface StreamColumns {
  /**
   * The catalog's stream, its key properties' schemas widened (src/sync/key-properties.ts) and
   * columns retyped since discovery described by their live type (src/sync/live-schema.ts);
   * LOG_BASED then follows type changes in the WAL itself (log-based/stream-shape.ts).
   */
  readonly stream: SelectedStream;
  /** The columns whose SCHEMA property now follows the live type. */
  readonly retyped: readonly Retyped[];
  readonly types: readonly ResolvedType[];
  /** The table's primary key now (may differ from the catalog's key properties). */
  readonly primaryKey: readonly string[];
  /**
   * The table's REPLICA IDENTITY now and the columns an UPDATE's old key or a DELETE carries in
   * the WAL (pgoutput's 'K' / 'O' tuple, wal2json's identity): with `index` they are not the
   * primary key, and a LOG_BASED delete can only be keyed by them.
   */
  readonly replicaIdentity: ReplicaIdentity;
  /** An UNLOGGED table: no change of it is ever in the WAL. */
  readonly unlogged: boolean;
  /**
   * LOG_BASED only: selected columns the table no longer has (dropped since discovery). They stay
   * in the stream's schema and are not read; every other method treats them as an input error.
   */
  readonly absent: readonly string[];
  /**
   * A materialized view created or refreshed `WITH NO DATA`: reading it is an error, not an
   * empty result, so the sync skips it instead of failing the run.
   */
  readonly unpopulated: boolean;
}

/**
 * LOG_BASED: the table's columns added since discovery (neither selected nor deselected in the
 * catalog). Changes carry them, so the stream has them from its first SCHEMA and its copies
 * read them: a column that first appeared mid-stream would be null in the target for every row
 * no later change touched.
 */
function addedColumns(
  stream: SelectedStream,
  cols: readonly ColumnRow[],
  types: ReturnType<typeof typesByOid>,
  compositeAsObject: boolean,
): { stream: SelectedStream; types: ResolvedType[] } | null {
  const listed = new Set([...stream.columns, ...stream.deselected]);
  const extra = cols.filter((c) => !listed.has(c.name));
  if (extra.length === 0) return null;
  const extraTypes = extra.map((c) => resolveColumnType(c, types));
  const properties = { ...((stream.schema.properties ?? {}) as Record<string, unknown>) };
  extra.forEach((c, i) => {
    properties[c.name] = jsonSchemaFor(extraTypes[i]!, { nullable: true, compositeAsObject });
  });
  return {
    stream: {
      ...stream,
      columns: [...stream.columns, ...extra.map((c) => c.name)],
      schema: { ...stream.schema, properties },
    },
    types: extraTypes,
  };
}

/** The type given to a column that is gone: it is never read, and its values are text if seen. */
const goneType = (sqlType: string): ResolvedType => ({
  sqlType,
  base: { name: sqlType, schema: '', typtype: 'b', category: 'X' },
  arrayDims: 0,
  domains: [],
});

/**
 * Resolves the selected streams against the live database before anything is emitted: a table
 * or column that no longer exists is an input error (re-run discovery), not a failure midway.
 * One catalog query per schema involved.
 */
export async function resolveStreamColumns(
  client: Queryable,
  streams: readonly SelectedStream[],
  policy: Pick<ValuePolicy, 'compositeAsObject'>,
): Promise<StreamColumns[]> {
  const { compositeAsObject } = policy;
  const schemas = [...new Set(streams.map((s) => s.schemaName))];
  const intro = await queryCatalog(client, schemas);
  const types = typesByOid(intro.types);
  const unpopulated = await unpopulatedViews(
    client,
    intro.relations.filter((r) => r.kind === 'm').map((r) => r.oid),
  );
  // Looked up by name and OID: scanning every relation and column per stream made a run of many
  // tables quadratic in them.
  const relations = new Map(intro.relations.map((r) => [relationKey(r.schema, r.name), r]));
  const columnsOf = new Map<string, ColumnRow[]>();
  for (const c of intro.columns) {
    const list = columnsOf.get(c.relationOid);
    if (list) list.push(c);
    else columnsOf.set(c.relationOid, [c]);
  }
  return streams.map((stream) => {
    const rel = relations.get(relationKey(stream.schemaName, stream.tableName));
    if (!rel) {
      throw new InputError(
        `catalog stream ${stream.tapStreamId}: table ${stream.schemaName}.${stream.tableName} does not exist (or is not visible to this user); run --discover again`,
      );
    }
    const cols = columnsOf.get(rel.oid) ?? [];
    const absent: string[] = [];
    const resolved = stream.columns.map((name) => {
      const col = cols.find((c) => c.name === name);
      if (!col && stream.method === 'LOG_BASED' && !stream.keyProperties.includes(name)) {
        absent.push(name);
        return goneType('unknown');
      }
      if (!col) {
        throw new InputError(
          `catalog stream ${stream.tapStreamId}: column '${name}' no longer exists; run --discover again or deselect it`,
        );
      }
      return resolveColumnType(col, types);
    });
    const withExtras =
      stream.method === 'LOG_BASED' ? addedColumns(stream, cols, types, compositeAsObject) : null;
    const read = withExtras ? withExtras.stream : stream;
    const allTypes = withExtras ? [...resolved, ...withExtras.types] : resolved;
    const live = withLiveTypes(read, allTypes, new Set(absent), compositeAsObject);
    return {
      ...withKeyColumns(live.stream, allTypes),
      retyped: live.retyped,
      primaryKey: rel.primaryKey,
      replicaIdentity: replicaIdentityOf(
        rel,
        cols.map((c) => c.name),
      ),
      unlogged: rel.unlogged,
      absent,
      unpopulated: unpopulated.has(rel.oid),
    };
  });
}

/** A relation's schema and name as one map key (JSON: no two pairs give the same text). */
const relationKey = (schema: string, name: string) => JSON.stringify([schema, name]);

/** The OIDs among `oids` (materialized views) that hold no data yet. */
async function unpopulatedViews(client: Queryable, oids: readonly string[]): Promise<Set<string>> {
  if (oids.length === 0) return new Set();
  const r = await client.query<{ oid: string }>(
    `SELECT oid::text AS oid FROM pg_catalog.pg_class
      WHERE oid = ANY ($1::oid[]) AND NOT relispopulated`,
    [oids],
  );
  return new Set(r.rows.map((row) => row.oid));
}
