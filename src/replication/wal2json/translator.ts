import { INVALID_LSN, type Lsn } from '../lsn';
import type {
  BeginMessage,
  PgoutputMessage,
  RelationMessage,
  Tuple,
  TupleValue,
} from '../pgoutput/messages';
import { commitTimeMicros } from './commit-time';
import { JsonNumber } from './lossless-json';
import {
  parseWal2json,
  type Wal2jsonBoundary,
  type Wal2jsonChange,
  type Wal2jsonRecord,
  type Wal2jsonColumn,
  type Wal2jsonValue,
} from './messages';
import {
  isFixedLengthOid,
  type LayoutColumn,
  type Partition,
  type TableLayout,
  type TableName,
} from './table-layout';

const BYTEA = 17;

export type { Partition, TableName };

export interface Wal2jsonTranslatorOptions {
  /** The selected tables as the catalog has them when streaming starts. */
  readonly baselines: readonly TableLayout[];
  /** The selected partitioned tables' leaves when streaming starts. */
  readonly partitions?: readonly Partition[];
}

interface TableState {
  layout: TableLayout;
  /** The layout was sent as a Relation message in this session. */
  announced: boolean;
}

const tableKey = (schema: string, table: string) => JSON.stringify([schema, table]);

/**
 * Translates wal2json format-version 2 messages into pgoutput's message model, so the LOG_BASED
 * loop handles relations, TOAST merging and values once for both plugins.
 *
 * wal2json has no Relation message: one is synthesized for a table before its first change in the
 * session and whenever the columns a change shows differ from the known layout. An UPDATE leaves
 * unchanged out-of-line values out altogether; a column of the layout that such a message lacks
 * is `unchanged` (never null), unless its type is fixed-length and so it must have been dropped.
 */
export class Wal2jsonTranslator {
  private readonly tables = new Map<string, TableState>();
  private nextSyntheticId = 0xffff_0000;
  /** Leaf partition → its selected root: wal2json names the leaf a row is stored in. */
  private readonly roots = new Map<string, TableName>();
  /** Each selected root's number of leaves. */
  private readonly leafCount = new Map<string, number>();
  /** Per root, the leaves a TRUNCATE of the current transaction named so far. */
  private truncatedLeaves = new Map<string, { root: TableName; leaves: TableName[] }>();
  /** Roots the current transaction truncated as a whole. */
  private truncatedRoots = new Set<string>();

  constructor(options: Wal2jsonTranslatorOptions) {
    for (const b of options.baselines) {
      this.tables.set(tableKey(b.schema, b.table), { layout: b, announced: false });
    }
    for (const p of options.partitions ?? []) {
      this.roots.set(tableKey(p.leaf.schema, p.leaf.table), p.root);
      const k = tableKey(p.root.schema, p.root.table);
      this.leafCount.set(k, (this.leafCount.get(k) ?? 0) + 1);
    }
  }

  /**
   * wal2json sends Begin and Commit for every transaction, also those without a change of the
   * selected tables (DDL, other tables). Like pgoutput since PostgreSQL 15, such a transaction is
   * left out: its Begin waits for the first change.
   */
  private pendingBegin: BeginMessage | undefined;

  translate(payload: Buffer, frameLsn: Lsn): PgoutputMessage[] {
    const m = parseWal2json(payload);
    if (m.action === 'B' || m.action === 'C') return this.boundary(m, frameLsn);
    const out = this.content(m);
    if (this.pendingBegin && (m.action !== 'M' || m.transactional)) {
      out.unshift(this.pendingBegin);
      this.pendingBegin = undefined;
    }
    return out;
  }

  private boundary(m: Wal2jsonBoundary, frameLsn: Lsn): PgoutputMessage[] {
    const commitTime = commitTimeMicros(m.timestamp);
    const partial = m.action === 'C' ? this.partialTruncates() : [];
    if (m.action === 'B') {
      this.pendingBegin = { tag: 'begin', finalLsn: m.lsn, commitTime, xid: m.xid };
      return [];
    }
    const begin = this.pendingBegin;
    this.pendingBegin = undefined;
    if (begin && partial.length === 0) return [];
    // nextlsn is the commit record's end, as pgoutput's end_lsn; equal to the frame's LSN.
    const endLsn = m.nextLsn !== INVALID_LSN ? m.nextLsn : frameLsn;
    return [
      ...(begin ? [begin] : []),
      ...partial,
      { tag: 'commit', flags: 0, commitLsn: m.lsn, endLsn, commitTime },
    ];
  }

  private content(m: Exclude<Wal2jsonRecord, Wal2jsonBoundary>): PgoutputMessage[] {
    switch (m.action) {
      case 'T':
        return this.truncate(m.schema, m.table);
      case 'M':
        return [
          {
            tag: 'message',
            transactional: m.transactional,
            flags: m.transactional ? 1 : 0,
            lsn: m.lsn,
            prefix: m.prefix,
            content: Buffer.from(m.content, 'utf8'),
          },
        ];
      default:
        return this.change(m);
    }
  }

  /**
   * A TRUNCATE names every table it empties: the parent and each leaf for a partitioned table.
   * The stream is truncated when the parent or every leaf is; a TRUNCATE of some leaves only
   * empties part of the stream, which a table-wide truncate downstream would overdo: it is reported
   * at the commit.
   */
  private truncate(schema: string, table: string): PgoutputMessage[] {
    const key = tableKey(schema, table);
    const root = this.roots.get(key);
    if (!root) {
      if (this.leafCount.has(key)) {
        if (this.truncatedRoots.has(key)) return [];
        this.truncatedRoots.add(key);
        this.truncatedLeaves.delete(key);
      }
      return this.truncateTable(schema, table);
    }
    const rootKey = tableKey(root.schema, root.table);
    if (this.truncatedRoots.has(rootKey)) return [];
    const seen = this.truncatedLeaves.get(rootKey) ?? { root, leaves: [] };
    seen.leaves.push({ schema, table });
    this.truncatedLeaves.set(rootKey, seen);
    if (seen.leaves.length < this.leafCount.get(rootKey)!) return [];
    this.truncatedLeaves.delete(rootKey);
    this.truncatedRoots.add(rootKey);
    return this.truncateTable(root.schema, root.table);
  }

  private truncateTable(schema: string, table: string): PgoutputMessage[] {
    const out: PgoutputMessage[] = [];
    const state = this.state(schema, table);
    if (!state.announced) out.push(this.announce(state));
    out.push({
      tag: 'truncate',
      options: { cascade: false, restartIdentity: false },
      relationIds: [state.layout.relationId],
    });
    return out;
  }

  /**
   * The transaction's TRUNCATEs of some partitions only, as truncates of their table that name
   * the partitions: the stream cannot empty just those rows, so it is copied again instead.
   */
  private partialTruncates(): PgoutputMessage[] {
    const out: PgoutputMessage[] = [];
    for (const { root, leaves } of this.truncatedLeaves.values()) {
      const state = this.state(root.schema, root.table);
      if (!state.announced) out.push(this.announce(state));
      out.push({
        tag: 'truncate',
        options: { cascade: false, restartIdentity: false },
        relationIds: [state.layout.relationId],
        partitions: leaves.map((l) => `${l.schema}.${l.table}`),
      });
    }
    this.truncatedLeaves = new Map();
    this.truncatedRoots = new Set();
    return out;
  }

  private change(m: Wal2jsonChange): PgoutputMessage[] {
    const out: PgoutputMessage[] = [];
    const root = this.roots.get(tableKey(m.schema, m.table));
    const state = root ? this.state(root.schema, root.table) : this.state(m.schema, m.table);
    const shown = m.columns ?? (state.layout.columns.length ? undefined : m.identity);
    if (shown) {
      const next = reconcile(state.layout, shown, m.action === 'U');
      if (next !== state.layout) {
        state.layout = next;
        state.announced = false;
      }
    }
    if (m.action !== 'I' && m.identity) {
      const next = withIdentity(state.layout, m.identity);
      if (next !== state.layout) {
        state.layout = next;
        state.announced = false;
      }
    }
    if (!state.announced) out.push(this.announce(state));
    const layout = state.layout;
    const relationId = layout.relationId;
    const byName = (cols: readonly Wal2jsonColumn[] | undefined) =>
      new Map((cols ?? []).map((c) => [c.name, c]));
    const identity = m.identity && byName(m.identity);
    const full = !!identity && layout.columns.every((c) => identity.has(c.name));
    const identityTuple: Tuple | undefined =
      identity &&
      layout.columns.map((c) => {
        const v = identity.get(c.name);
        return v ? tupleValue(v) : NULL;
      });

    if (m.action === 'D') {
      out.push(
        full
          ? { tag: 'delete', relationId, old: identityTuple! }
          : { tag: 'delete', relationId, key: identityTuple ?? layout.columns.map(() => NULL) },
      );
      return out;
    }
    const cols = byName(m.columns);
    const newTuple: Tuple = layout.columns.map((c) => {
      const v = cols.get(c.name);
      return v ? tupleValue(v) : UNCHANGED;
    });
    if (m.action === 'I') {
      out.push({ tag: 'insert', relationId, newTuple });
      return out;
    }
    if (full) {
      out.push({ tag: 'update', relationId, old: identityTuple!, newTuple });
    } else if (identityTuple && keyChanged(identityTuple, newTuple, identity!, layout)) {
      // pgoutput sends the old key only when the key changed; wal2json always prints one.
      out.push({ tag: 'update', relationId, key: identityTuple, newTuple });
    } else {
      out.push({ tag: 'update', relationId, newTuple });
    }
    return out;
  }

  private state(schema: string, table: string): TableState {
    const key = tableKey(schema, table);
    let s = this.tables.get(key);
    if (!s) {
      s = {
        layout: {
          relationId: this.nextSyntheticId++,
          schema,
          table,
          replicaIdentity: 'd',
          columns: [],
        },
        announced: false,
      };
      this.tables.set(key, s);
    }
    return s;
  }

  private announce(state: TableState): RelationMessage {
    state.announced = true;
    const l = state.layout;
    return {
      tag: 'relation',
      relationId: l.relationId,
      schema: l.schema,
      name: l.table,
      replicaIdentity: l.replicaIdentity,
      columns: l.columns.map((c) => ({
        isKey: c.isKey,
        flags: c.isKey ? 1 : 0,
        name: c.name,
        typeOid: c.typeOid,
        typmod: c.typmod,
      })),
    };
  }
}

const NULL: TupleValue = Object.freeze({ kind: 'null' });
const UNCHANGED: TupleValue = Object.freeze({ kind: 'unchanged' });

/**
 * wal2json prints a real, double or numeric NaN or ±Infinity as null (JSON has no spelling for
 * them); the tap emits those as null too, so the record is the same as pgoutput's.
 */
function tupleValue(c: Wal2jsonColumn): TupleValue {
  return c.value === null ? NULL : { kind: 'text', text: valueText(c.value, c.typeOid) };
}

/** A wal2json value as the type's text output, which is what pgoutput sends. */
export function valueText(v: Exclude<Wal2jsonValue, null>, typeOid: number): string {
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (v instanceof JsonNumber) return v.text;
  // wal2json strips bytea's `\x` (bytea_output is pinned to hex on every tap connection).
  return typeOid === BYTEA ? `\\x${v}` : v;
}

/**
 * The layout after a change that shows `shown`: the same object when nothing changed. A column
 * the layout has but an UPDATE lacks stays (an unchanged TOAST value) unless it is fixed-length.
 */
function reconcile(
  layout: TableLayout,
  shown: readonly Wal2jsonColumn[],
  partial: boolean,
): TableLayout {
  const shownByName = new Map(shown.map((c) => [c.name, c]));
  const known = new Map(layout.columns.map((c) => [c.name, c]));
  const same =
    shown.every((c) => known.get(c.name)?.typeOid === c.typeOid) &&
    layout.columns.every((c) => shownByName.has(c.name) || (partial && !c.fixedLength));
  if (same) return layout;
  const columns: LayoutColumn[] = [];
  for (const c of layout.columns) {
    const s = shownByName.get(c.name);
    if (s && s.typeOid === c.typeOid) columns.push(c);
    else if (s) columns.push(fromMessage(s, c.isKey));
    else if (partial && !c.fixedLength) columns.push(c);
  }
  for (const s of shown) if (!known.has(s.name)) columns.push(fromMessage(s, false));
  return { ...layout, columns };
}

/**
 * The layout under the replica identity a change was written with: the same object when the
 * layout already says so. The layout's identity is the catalog's when the session started, but a
 * change still in the WAL from before an ALTER TABLE … REPLICA IDENTITY shows the columns of its
 * own time in `identity` (wal2json reads them through the historic catalog, as pgoutput does for
 * its Relation): every column under FULL, else the key's.
 */
function withIdentity(layout: TableLayout, identity: readonly Wal2jsonColumn[]): TableLayout {
  const names = new Set(identity.map((c) => c.name));
  const full = layout.columns.every((c) => names.has(c.name));
  if (full) {
    if (layout.replicaIdentity === 'f' || layout.columns.every((c) => c.isKey)) return layout;
    return {
      ...layout,
      replicaIdentity: 'f',
      columns: layout.columns.map((c) => ({ ...c, isKey: true })),
    };
  }
  if (layout.replicaIdentity !== 'f' && layout.columns.every((c) => c.isKey === names.has(c.name)))
    return layout;
  // 'i' stands for any identity of some columns: the stream loop only tells FULL from the rest.
  return {
    ...layout,
    replicaIdentity: 'i',
    columns: layout.columns.map((c) => ({ ...c, isKey: names.has(c.name) })),
  };
}

function fromMessage(c: Wal2jsonColumn, isKey: boolean): LayoutColumn {
  return {
    name: c.name,
    typeOid: c.typeOid,
    typmod: -1,
    isKey,
    fixedLength: isFixedLengthOid(c.typeOid),
  };
}

function keyChanged(
  identityTuple: Tuple,
  newTuple: Tuple,
  identity: ReadonlyMap<string, Wal2jsonColumn>,
  layout: TableLayout,
): boolean {
  return layout.columns.some((c, i) => {
    if (!identity.has(c.name)) return false;
    const a = identityTuple[i]!;
    const b = newTuple[i]!;
    return a.kind !== b.kind || (a.kind === 'text' && b.kind === 'text' && a.text !== b.text);
  });
}
