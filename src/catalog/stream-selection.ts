import { REPLICATION_METHODS, type ReplicationMethod, type TapConfig } from '../config/tap-config';
import { InputError } from '../errors';
import { parseTapStreamId } from './stream-id';

/** A catalog stream as users hand it to us (ours, Meltano's or a Python tap's); already schema-valid. */
interface InputMetadataEntry {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}
export interface InputStream {
  tap_stream_id: string;
  stream?: string;
  table_name?: string;
  schema: { properties?: Record<string, Record<string, unknown>>; [k: string]: unknown };
  metadata?: InputMetadataEntry[];
  replication_method?: string;
  replication_key?: string;
  key_properties?: string[];
  selected?: boolean;
}

/** What a sync needs to know about one selected stream, decided once, before anything is emitted. */
export interface SelectedStream {
  readonly tapStreamId: string;
  /** The `stream` of SCHEMA / RECORD messages. */
  readonly stream: string;
  readonly schemaName: string;
  readonly tableName: string;
  readonly method: ReplicationMethod;
  readonly replicationKey: string | null;
  readonly keyProperties: readonly string[];
  /** Columns to read, in catalog order; deselected columns are never queried. */
  readonly columns: readonly string[];
  /** Columns the catalog lists but does not select: never read, also when they reappear. */
  readonly deselected: readonly string[];
  /** The catalog's JSON Schema restricted to `columns`. */
  readonly schema: Readonly<Record<string, unknown>>;
  readonly isView: boolean;
  /** Each column's `sql-datatype` metadata where the catalog has one: its type at discovery. */
  readonly sqlDatatypes: Readonly<Record<string, string>>;
}

function rootMetadata(s: InputStream): Record<string, unknown> {
  return s.metadata?.find((m) => m.breadcrumb.length === 0)?.metadata ?? {};
}

function columnMetadata(s: InputStream, col: string): Record<string, unknown> {
  return (
    s.metadata?.find(
      (m) =>
        m.breadcrumb.length === 2 && m.breadcrumb[0] === 'properties' && m.breadcrumb[1] === col,
    )?.metadata ?? {}
  );
}

function asMethod(v: unknown, where: string): ReplicationMethod | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string' && (REPLICATION_METHODS as readonly string[]).includes(v)) {
    return v as ReplicationMethod;
  }
  throw new InputError(
    `${where}: replication method ${JSON.stringify(v)} is not one of ${REPLICATION_METHODS.join(', ')}`,
  );
}

/**
 * The method comes from `replication-method`, else `forced-replication-method`, else
 * the top-level `replication_method` (Meltano SDK), else the config's default, else the Meltano
 * SDK's own rule: INCREMENTAL when the stream names a replication key, FULL_TABLE otherwise. A
 * project that selects `*.*` for a Meltano SDK tap sets no method at all, and must run unchanged.
 */
function methodOf(
  s: InputStream,
  root: Record<string, unknown>,
  config: TapConfig,
  where: string,
): ReplicationMethod {
  const replicationKey = root['replication-key'] ?? s.replication_key;
  return (
    asMethod(root['replication-method'], where) ??
    asMethod(root['forced-replication-method'], where) ??
    asMethod(s.replication_method, where) ??
    config.defaultReplicationMethod ??
    (typeof replicationKey === 'string' && replicationKey !== '' ? 'INCREMENTAL' : 'FULL_TABLE')
  );
}

function isColumnSelected(meta: Record<string, unknown>): boolean {
  if (meta.inclusion === 'automatic') return true;
  if (meta.inclusion === 'unsupported') return false;
  if (typeof meta.selected === 'boolean') return meta.selected;
  return meta['selected-by-default'] !== false;
}

export function selectStream(s: InputStream, config: TapConfig, where: string): SelectedStream {
  const root = rootMetadata(s);
  const method = methodOf(s, root, config, where);
  const props = s.schema.properties ?? {};
  const keyProperties = (
    (root['table-key-properties'] as string[] | undefined) ??
    s.key_properties ??
    []
  ).slice();
  const rk = (root['replication-key'] as string | undefined) ?? s.replication_key ?? null;
  const replicationKey = method === 'INCREMENTAL' ? rk : null;
  if (method === 'INCREMENTAL' && !replicationKey) {
    throw new InputError(`${where}: INCREMENTAL needs "replication-key" in its root metadata`);
  }
  // Own keys only: `in` would accept 'toString' or '__proto__' through Object.prototype.
  if (replicationKey && !Object.hasOwn(props, replicationKey)) {
    throw new InputError(
      `${where}: replication key '${replicationKey}' is not a column of the stream's schema`,
    );
  }
  for (const k of keyProperties) {
    if (!Object.hasOwn(props, k)) {
      throw new InputError(`${where}: key property '${k}' is not a column of the stream's schema`);
    }
  }
  const must = new Set([...keyProperties, ...(replicationKey ? [replicationKey] : [])]);
  const columns = Object.keys(props).filter(
    (c) => must.has(c) || isColumnSelected(columnMetadata(s, c)),
  );
  const [idSchema, idTable] = parseTapStreamId(s.tap_stream_id);
  return Object.freeze({
    tapStreamId: s.tap_stream_id,
    stream: s.stream ?? s.tap_stream_id,
    schemaName: (root['schema-name'] as string | undefined) ?? idSchema,
    tableName: s.table_name ?? idTable,
    method,
    replicationKey,
    keyProperties,
    columns,
    deselected: Object.keys(props).filter((c) => !columns.includes(c)),
    schema: { ...s.schema, properties: Object.fromEntries(columns.map((c) => [c, props[c]])) },
    isView: root['is-view'] === true,
    sqlDatatypes: Object.fromEntries(
      columns.flatMap((c) => {
        const t = columnMetadata(s, c)['sql-datatype'];
        return typeof t === 'string' ? [[c, t]] : [];
      }),
    ),
  });
}

/**
 * Bookmarks, SCHEMA and RECORD messages and a target's tables are all keyed by the id, so two
 * streams sharing one would overwrite each other's state and rows (catalogs discovered before
 * names were escaped can hold such pairs).
 */
function assertUniqueIds(streams: readonly InputStream[], what: string): void {
  const seen = new Set<string>();
  for (const s of streams) {
    if (seen.has(s.tap_stream_id)) {
      throw new InputError(
        `${what}: two streams have the tap_stream_id ${JSON.stringify(s.tap_stream_id)}; run --discover again (ids are unique since names with '-' are escaped)`,
      );
    }
    seen.add(s.tap_stream_id);
  }
}

/** The streams whose root metadata says `selected: true`, in catalog order. */
export function selectedStreams(
  catalog: { streams: InputStream[] },
  config: TapConfig,
  what: string,
): SelectedStream[] {
  assertUniqueIds(catalog.streams, what);
  return catalog.streams
    .map((s, i) => ({ s, i }))
    .filter(
      ({ s }) =>
        rootMetadata(s).selected === true || (s.metadata === undefined && s.selected === true),
    )
    .map(({ s, i }) => selectStream(s, config, `${what}: streams[${i}] (${s.tap_stream_id})`));
}
