import type {
  Catalog,
  CatalogStream,
  JsonSchema,
  PropertyMetadataEntry,
  StreamMetadataEntry,
} from '../catalog/catalog-types';
import { tapStreamId } from '../catalog/stream-id';
import { jsonSchemaFor } from '../types/json-schema-mapping';
import { isReplicationKeyType } from '../types/replication-key-types';
import type { ColumnRow, Introspection, RelationRow, TypeRow } from './introspection';
import { replicaIdentityOf, streamKey } from './replica-identity';
import { resolveColumnType, typesByOid } from './resolve-type';

export interface BuildCatalogOptions {
  /** Goes to every stream's `database-name`. */
  readonly database: string;
  /** `composite_as_object`: composite columns are objects with their attributes' properties. */
  readonly compositeAsObject?: boolean;
}

/** Code-unit order, not localeCompare: the catalog must not depend on the machine's locale. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function buildStream(
  rel: RelationRow,
  columns: readonly ColumnRow[],
  types: ReadonlyMap<string, TypeRow>,
  { database, compositeAsObject = false }: BuildCatalogOptions,
): CatalogStream {
  const key = streamKey(rel);
  const keys = new Set(key);
  const resolved = columns.map((c) => ({ column: c, type: resolveColumnType(c, types) }));
  // Object.fromEntries defines own properties, so a column named `__proto__` stays a column.
  const properties: Record<string, JsonSchema> = Object.fromEntries(
    resolved.map(({ column, type }) => [
      column.name,
      jsonSchemaFor(type, { nullable: !keys.has(column.name), compositeAsObject }),
    ]),
  );
  const isView = rel.kind === 'v' || rel.kind === 'm';
  // Neither has changes in the WAL: a view is no table, an UNLOGGED table writes no WAL.
  const logBased = !isView && !rel.unlogged;
  const root: StreamMetadataEntry = {
    breadcrumb: [],
    metadata: {
      'table-key-properties': [...key],
      'schema-name': rel.schema,
      'database-name': database,
      'is-view': isView,
      'row-count': Math.max(0, Math.round(rel.rowEstimate)),
      'valid-replication-keys': resolved
        .filter(({ type }) => isReplicationKeyType(type))
        .map(({ column }) => column.name),
      'selected-by-default': false,
      'valid-replication-methods': logBased
        ? ['FULL_TABLE', 'INCREMENTAL', 'LOG_BASED']
        : ['FULL_TABLE', 'INCREMENTAL'],
      'is-unlogged': rel.unlogged === true,
      ...(isView ? {} : { 'replica-identity': replicaIdentityOf(rel, []).kind }),
    },
  };
  const columnEntries: PropertyMetadataEntry[] = resolved.map(({ column, type }) => ({
    breadcrumb: ['properties', column.name],
    metadata: {
      'sql-datatype': type.sqlType,
      // Every type maps to at least a string, so no column is ever `unsupported`.
      inclusion: keys.has(column.name) ? 'automatic' : 'available',
      'selected-by-default': true,
    },
  }));
  const id = tapStreamId(rel.schema, rel.name);
  return {
    tap_stream_id: id,
    stream: id,
    table_name: rel.name,
    schema: { type: 'object', properties },
    metadata: [root, ...columnEntries],
    key_properties: [...key],
    is_view: isView,
  };
}

/**
 * The catalog from what `queryCatalog` read: one stream per relation, sorted by
 * tap_stream_id for stable output.
 *
 * No `forced-replication-method` is written: views, materialized views and UNLOGGED tables cannot
 * be LOG_BASED, but they can be FULL_TABLE or INCREMENTAL, and forcing one would hide the other.
 * `valid-replication-methods` leaves LOG_BASED out for them, and a sync refuses it with a clear
 * message.
 */
export function buildCatalog(introspection: Introspection, opts: BuildCatalogOptions): Catalog {
  const types = typesByOid(introspection.types);
  const columnsOf = new Map<string, ColumnRow[]>();
  for (const c of introspection.columns) {
    const list = columnsOf.get(c.relationOid);
    if (list) list.push(c);
    else columnsOf.set(c.relationOid, [c]);
  }
  const relations = [...introspection.relations].sort((a, b) =>
    byCodeUnits(tapStreamId(a.schema, a.name), tapStreamId(b.schema, b.name)),
  );
  return {
    streams: relations.map((rel) =>
      buildStream(
        rel,
        (columnsOf.get(rel.oid) ?? []).sort((a, b) => a.position - b.position),
        types,
        opts,
      ),
    ),
  };
}
