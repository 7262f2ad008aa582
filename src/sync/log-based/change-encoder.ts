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
}

/** One column a stream takes from a Relation. */
export interface LayoutColumn {
  readonly name: string;
  /** Position in the Relation's tuples. */
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
  /** The stream's columns present in the Relation, in the Relation's order. */
  readonly columns: readonly LayoutColumn[];
  /** The replica identity's columns: what an unchanged TOAST value is fetched by. */
  readonly keyNames: readonly string[];
  readonly keyIndex: readonly number[];
}

/**
 * One insert, update or delete, as PostgreSQL text per layout column, before conversion.
 * `missing` lists the positions of unchanged TOAST values the server did not send and no old
 * tuple carried (their text is null until fetched by `key`; never emitted as null).
 */
export interface BufferedChange {
  readonly kind: 'change';
  readonly layoutId: number;
  readonly deleted: boolean;
  readonly texts: (string | null)[];
  readonly missing: readonly number[];
  /** The replica identity key's texts (the new ones for an update), set only when `missing` is. */
  readonly key: readonly (string | null)[] | null;
}

/** A TRUNCATE of the selected tables behind `layoutIds`. */
export interface BufferedTruncate {
  readonly kind: 'truncate';
  readonly layoutIds: readonly number[];
}

export type BufferedEntry = BufferedChange | BufferedTruncate;

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
  a.keyIndex.join() === b.keyIndex.join();

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
    const keyNames: string[] = [];
    const keyIndex: number[] = [];
    msg.columns.forEach((c, i) => {
      if (!target.deselected.has(c.name)) {
        columns.push({ name: c.name, sourceIndex: i, typeOid: c.typeOid, typmod: c.typmod });
      }
      if (c.isKey) {
        keyNames.push(c.name);
        keyIndex.push(i);
      }
    });
    const next = { target, relationOid: msg.relationId, columns, keyNames, keyIndex };
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

  /** The change's texts in its layout's column order; null when no selected stream wants it. */
  decode(change: InsertMessage | UpdateMessage | DeleteMessage): BufferedChange | null {
    const layout = this.current.get(change.relationId);
    if (!layout) return null;
    const deleted = change.tag === 'delete';
    const image: Tuple | undefined =
      change.tag === 'delete' ? (change.old ?? change.key) : change.newTuple;
    const old: Tuple | undefined = change.tag === 'update' ? change.old : undefined;
    const texts: (string | null)[] = [];
    const missing: number[] = [];
    layout.columns.forEach(({ sourceIndex: i }, j) => {
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

  /** The selected tables a TRUNCATE names, as their current layouts; null when none. */
  truncate(msg: TruncateMessage): BufferedTruncate | null {
    const layoutIds = msg.relationIds
      .map((r) => this.current.get(r))
      .filter((l): l is RelationLayout => !!l)
      .map((l) => l.id);
    return layoutIds.length ? { kind: 'truncate', layoutIds } : null;
  }
}
