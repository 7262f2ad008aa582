import type { StreamColumns } from '../stream-columns';
import type {
  DeleteMessage,
  InsertMessage,
  RelationMessage,
  TruncateMessage,
  Tuple,
  UpdateMessage,
} from '../../replication/pgoutput/messages';

/** A LOG_BASED stream as the decoder needs it: its table, and the columns it must never carry. */
export interface LogStreamTarget {
  readonly tapStreamId: string;
  readonly schemaName: string;
  readonly tableName: string;
  /** Columns the catalog lists but does not select. */
  readonly deselected: ReadonlySet<string>;
  /** The stream's key (the catalog's key properties): what a key change must remove downstream. */
  readonly keyProperties: readonly string[];
  /**
   * Selected generated columns. pgoutput leaves them out of its Relation before PostgreSQL 18
   * (and on 18 without `publish_generated_columns`): they are then read by key like unchanged
   * TOAST values.
   */
  readonly generated: ReadonlySet<string>;
}

/** The decoder's view of a LOG_BASED stream; `columns`: the table's columns as the server has them. */
export function logStreamTarget(
  sc: StreamColumns,
  columns: ReadonlyMap<string, { readonly generated: boolean }> | undefined,
): LogStreamTarget {
  const st = sc.stream;
  return {
    tapStreamId: st.tapStreamId,
    schemaName: st.schemaName,
    tableName: st.tableName,
    deselected: new Set(st.deselected),
    keyProperties: st.keyProperties,
    generated: new Set(st.columns.filter((c) => columns?.get(c)?.generated)),
  };
}

/** One column a stream takes from a Relation. */
export interface LayoutColumn {
  readonly name: string;
  /** Position in the Relation's tuples; -1 for a generated column the Relation leaves out. */
  readonly sourceIndex: number;
  readonly typeOid: number;
  readonly typmod: number;
}

/**
 * A table's shape as one Relation message described it. A change refers to the layout it was
 * decoded with, so a transaction that altered its table between two changes is emitted with each
 * change in its own shape.
 */
export interface RelationLayout {
  readonly id: number;
  /** The Relation's `relationId`: the table's OID under pgoutput, a synthetic number otherwise. */
  readonly relationOid: number;
  readonly target: LogStreamTarget;
  /**
   * The stream's columns present in the Relation, in the Relation's order, then its generated
   * columns the Relation leaves out.
   */
  readonly columns: readonly LayoutColumn[];
  /**
   * What a value the server did not send is fetched by: the replica identity's columns, or with
   * REPLICA IDENTITY FULL (every column) the stream's key when it has one.
   */
  readonly keyNames: readonly string[];
  readonly keyIndex: readonly number[];
  /** The stream's key properties: their positions in `columns` and in the Relation's tuples. */
  readonly streamKey: readonly { readonly column: number; readonly sourceIndex: number }[];
  /**
   * The stream's key properties the replica identity of this shape leaves out (none under FULL).
   * The Relation tells the identity the table had when the server wrote the change, which may not
   * be today's: an UPDATE then carries no old key when its key changed, and a DELETE no key.
   */
  readonly keyNotInWal: readonly string[];
}

/**
 * One insert, update or delete, as PostgreSQL text per layout column, before conversion.
 * `missing` lists the positions of values the server did not send: unchanged TOAST values no old
 * tuple carried, and generated columns pgoutput leaves out (null until fetched by `key`).
 */
export interface BufferedChange {
  readonly kind: 'change';
  readonly layoutId: number;
  readonly deleted: boolean;
  readonly texts: (string | null)[];
  readonly missing: readonly number[];
  /** The `keyNames` texts to fetch by (the new ones for an update), set only when `missing` is. */
  readonly key: readonly (string | null)[] | null;
}

/**
 * An UPDATE or DELETE of a shape whose replica identity left out some of the stream's key: the
 * target cannot be told which row it changed or removed, so the stream is copied again.
 */
export interface BufferedKeyLost {
  readonly kind: 'key-lost';
  readonly layoutId: number;
}

/** A TRUNCATE of the selected tables behind `layoutIds`. */
export interface BufferedTruncate {
  readonly kind: 'truncate';
  readonly layoutIds: readonly number[];
  /** Only some partitions were truncated (TruncateMessage.partitions). */
  readonly partial?: boolean;
}

export type BufferedEntry = BufferedChange | BufferedKeyLost | BufferedTruncate;

const targetKey = (schema: string, table: string) => JSON.stringify([schema, table]);

const sameLayout = (a: RelationLayout, b: Omit<RelationLayout, 'id'>): boolean =>
  a.target === b.target &&
  a.relationOid === b.relationOid &&
  a.columns.length === b.columns.length &&
  a.columns.every((c, i) => {
    const d = b.columns[i]!;
    return (
      c.name === d.name &&
      c.sourceIndex === d.sourceIndex &&
      c.typeOid === d.typeOid &&
      c.typmod === d.typmod
    );
  }) &&
  a.keyIndex.join() === b.keyIndex.join() &&
  a.keyNotInWal.join() === b.keyNotInWal.join();

/**
 * Turns pgoutput changes into buffered changes of the selected streams. Relation messages are
 * authoritative for the tuple layout; changes of tables no stream selected cost one map lookup.
 */
export class ChangeEncoder {
  private readonly targets = new Map<string, LogStreamTarget>();
  /** The current layout of each relation OID; null when no stream selected the table. */
  private readonly current = new Map<number, RelationLayout | null>();
  private readonly layouts = new Map<number, RelationLayout>();
  private nextId = 1;

  constructor(targets: readonly LogStreamTarget[]) {
    for (const t of targets) this.targets.set(targetKey(t.schemaName, t.tableName), t);
  }

  relation(msg: RelationMessage): void {
    const target = this.targets.get(targetKey(msg.schema, msg.name));
    if (!target) {
      this.current.set(msg.relationId, null);
      return;
    }
    const columns: LayoutColumn[] = [];
    const identity: number[] = [];
    msg.columns.forEach((c, i) => {
      if (!target.deselected.has(c.name)) {
        columns.push({ name: c.name, sourceIndex: i, typeOid: c.typeOid, typmod: c.typmod });
      }
      if (c.isKey) identity.push(i);
    });
    const sent = new Set(msg.columns.map((c) => c.name));
    // The type stays the one the stream already knows (OID 0).
    for (const name of target.generated) {
      if (!sent.has(name)) columns.push({ name, sourceIndex: -1, typeOid: 0, typmod: -1 });
    }
    const streamKey = target.keyProperties.flatMap((k) => {
      const column = columns.findIndex((c) => c.name === k && c.sourceIndex >= 0);
      return column < 0 ? [] : [{ column, sourceIndex: columns[column]!.sourceIndex }];
    });
    // Comparing every column (FULL) to find a row is slow and fails on types without equality
    // (json, point): the stream's key finds the same row when the table has one.
    const byStreamKey =
      msg.replicaIdentity === 'f' &&
      streamKey.length > 0 &&
      streamKey.length === target.keyProperties.length;
    const keyIndex = byStreamKey ? streamKey.map((k) => k.sourceIndex) : identity;
    const keyNames = keyIndex.map((i) => msg.columns[i]!.name);
    // No identity column at all, other than under FULL: a partitioned table published through its
    // root without a key of its own, whose partitions carry the identity (checked at start).
    const identityNames = new Set(identity.map((i) => msg.columns[i]!.name));
    const keyNotInWal =
      msg.replicaIdentity === 'f' || identityNames.size === 0
        ? []
        : target.keyProperties.filter((k) => !identityNames.has(k));
    const next = {
      target,
      relationOid: msg.relationId,
      columns,
      keyNames,
      keyIndex,
      streamKey,
      keyNotInWal,
    };
    const before = this.current.get(msg.relationId);
    // The server repeats a Relation (each session, and a decoder may send one per change): only
    // a different shape makes a new layout.
    if (before && sameLayout(before, next)) return;
    const layout: RelationLayout = { id: this.nextId++, ...next };
    this.layouts.set(layout.id, layout);
    this.current.set(msg.relationId, layout);
  }

  layout(id: number): RelationLayout {
    const l = this.layouts.get(id);
    if (!l) throw new Error(`unknown relation layout ${id}`);
    return l;
  }

  /**
   * The change's texts in its layout's column order; none when no selected stream wants it. An
   * update that moved its row to another key comes as two: the removal of the old key, then the
   * row under its new key.
   */
  decode(
    change: InsertMessage | UpdateMessage | DeleteMessage,
  ): (BufferedChange | BufferedKeyLost)[] {
    const out: (BufferedChange | BufferedKeyLost)[] = [];
    this.decodeInto(change, (c) => out.push(c));
    return out;
  }

  /** `decode` without an array per change: a backlog decodes millions of them. */
  decodeInto(
    change: InsertMessage | UpdateMessage | DeleteMessage,
    sink: (c: BufferedChange | BufferedKeyLost) => void,
  ): void {
    const layout = this.current.get(change.relationId);
    if (!layout) return;
    // A whole old row ('O') has the key whatever the Relation says: a partitioned table published
    // through its root describes the root's identity, while a FULL partition sends its old rows.
    if (change.tag !== 'insert' && !change.old && layout.keyNotInWal.length > 0) {
      // The row itself is of no use: the stream is copied again, or already has the change.
      sink({ kind: 'key-lost', layoutId: layout.id });
      return;
    }
    const row = this.row(layout, change);
    if (change.tag === 'update') {
      const removal = this.oldKeyRemoval(layout, change.old ?? change.key, change.newTuple);
      if (removal) sink(removal);
    }
    sink(row);
  }

  private row(
    layout: RelationLayout,
    change: InsertMessage | UpdateMessage | DeleteMessage,
  ): BufferedChange {
    const deleted = change.tag === 'delete';
    const image: Tuple | undefined =
      change.tag === 'delete' ? (change.old ?? change.key) : change.newTuple;
    const old: Tuple | undefined = change.tag === 'update' ? change.old : undefined;
    const texts: (string | null)[] = [];
    const missing: number[] = [];
    layout.columns.forEach(({ sourceIndex: i }, j) => {
      if (i < 0) {
        // A generated column the server did not send: read by key, unless the row is gone.
        texts.push(null);
        if (!deleted) missing.push(j);
        return;
      }
      const v = image?.[i];
      if (v?.kind === 'text') texts.push(v.text);
      else if (v?.kind === 'unchanged') {
        const before = old?.[i];
        if (before?.kind === 'text') texts.push(before.text);
        else {
          texts.push(null);
          missing.push(j);
        }
      } else texts.push(null);
    });
    const key =
      missing.length && image
        ? layout.keyIndex.map((i) => {
            const v = image[i];
            return v?.kind === 'text' ? v.text : null;
          })
        : null;
    return { kind: 'change', layoutId: layout.id, deleted, texts, missing, key };
  }

  /**
   * The old key's removal when an update changed the stream's key. The server sends the old key
   * ('K') only when a replica identity column changed, or the whole old row ('O', FULL): without
   * either the key did not change.
   */
  private oldKeyRemoval(
    layout: RelationLayout,
    old: Tuple | undefined,
    next: Tuple,
  ): BufferedChange | null {
    if (!old || layout.streamKey.length === 0) return null;
    const moved = layout.streamKey.some(({ sourceIndex: i }) => {
      const a = old[i];
      const b = next[i];
      return (
        a?.kind === 'text' && b?.kind !== 'unchanged' && !(b?.kind === 'text' && b.text === a.text)
      );
    });
    if (!moved) return null;
    const texts: (string | null)[] = layout.columns.map(() => null);
    for (const { column, sourceIndex } of layout.streamKey) {
      const a = old[sourceIndex];
      if (a?.kind === 'text') texts[column] = a.text;
    }
    return { kind: 'change', layoutId: layout.id, deleted: true, texts, missing: [], key: null };
  }

  /** The selected tables a TRUNCATE names, as their current layouts; null when none. */
  truncate(msg: TruncateMessage): BufferedTruncate | null {
    const layoutIds = msg.relationIds
      .map((r) => this.current.get(r))
      .filter((l): l is RelationLayout => !!l)
      .map((l) => l.id);
    if (layoutIds.length === 0) return null;
    return msg.partitions
      ? { kind: 'truncate', layoutIds, partial: true }
      : { kind: 'truncate', layoutIds };
  }
}
