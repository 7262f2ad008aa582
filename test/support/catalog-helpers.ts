/** Builds a sync catalog from a discovered one: select streams and set their methods. */
export interface Selection {
  method: 'FULL_TABLE' | 'INCREMENTAL' | 'LOG_BASED';
  replicationKey?: string;
  deselect?: string[];
  /** Overrides the discovered `table-key-properties`. */
  keyProperties?: string[];
}

interface Stream {
  tap_stream_id: string;
  metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
}

export function selectStreams<C extends { streams: Stream[] }>(
  catalog: C,
  selections: Record<string, Selection>,
): C {
  const copy = JSON.parse(JSON.stringify(catalog)) as C;
  for (const s of copy.streams) {
    const sel = selections[s.tap_stream_id];
    if (!sel) continue;
    for (const m of s.metadata) {
      if (m.breadcrumb.length === 0) {
        m.metadata.selected = true;
        m.metadata['replication-method'] = sel.method;
        if (sel.replicationKey) m.metadata['replication-key'] = sel.replicationKey;
        if (sel.keyProperties) m.metadata['table-key-properties'] = sel.keyProperties;
      } else if (sel.deselect?.includes(m.breadcrumb[1]!)) {
        m.metadata.selected = false;
      }
    }
  }
  return copy;
}

export interface Message {
  type: string;
  stream?: string;
  record?: Record<string, unknown>;
  value?: { currently_syncing: string | null; bookmarks: Record<string, Record<string, unknown>> };
  version?: number;
  schema?: Record<string, unknown>;
  [k: string]: unknown;
}

export function parseMessages(stdout: string): Message[] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Message);
}

export const records = (msgs: Message[], stream?: string) =>
  msgs.filter((m) => m.type === 'RECORD' && (!stream || m.stream === stream)).map((m) => m.record!);

export const lastState = (msgs: Message[]) =>
  [...msgs].reverse().find((m) => m.type === 'STATE')?.value;

/**
 * What a keyed, version-aware target ends up holding after applying `msgs` in order: upsert by
 * `key`, delete when `_sdc_deleted_at` is set, and on ACTIVATE_VERSION drop the rows an older
 * version wrote (how a re-copied table sheds rows deleted meanwhile); `_sdc_` columns dropped.
 * Keyed by JSON of the key value (of the array of values for a composite key).
 */
export function replay(
  msgs: Message[],
  key: string | readonly string[],
  into = new Map<string, Record<string, unknown>>(),
) {
  const versions = new Map<string, number | undefined>();
  for (const m of msgs) {
    if (m.type === 'ACTIVATE_VERSION') {
      for (const [k, v] of versions) {
        if (v !== undefined && v !== m.version) {
          into.delete(k);
          versions.delete(k);
        }
      }
    }
    if (m.type !== 'RECORD') continue;
    const { _sdc_lsn: _l, _sdc_deleted_at: deleted, ...row } = m.record!;
    const k = JSON.stringify(typeof key === 'string' ? row[key] : key.map((c) => row[c]));
    if (deleted) {
      into.delete(k);
      versions.delete(k);
    } else {
      into.set(k, row);
      versions.set(k, m.version);
    }
  }
  return into;
}
