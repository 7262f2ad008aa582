import type { StreamColumns } from '../sync/stream-columns';
import type { Expression } from './expression';
import type { StreamPlan } from './stream-maps-config';

/**
 * The source columns a stream's outputs read: every column when one output keeps unmapped
 * properties or reads the whole record, else the columns expressions name (`x`, `record['x']`,
 * `self` of a mapped column), the properties copied or renamed, and each output's key properties.
 * Null: all of them.
 */
export function columnsNeeded(plan: StreamPlan, columns: readonly string[]): Set<string> | null {
  const isColumn = new Set(columns);
  const need = new Set<string>();
  const reads = (e: Expression | null, key: string | null) => {
    if (!e) return true;
    if (e.wholeRecord) return false;
    for (const n of e.names) if (isColumn.has(n)) need.add(n);
    for (const k of e.recordKeys) if (isColumn.has(k)) need.add(k);
    if (key !== null && e.names.has('self') && isColumn.has(key)) need.add(key);
    return true;
  };
  for (const m of plan.outputs) {
    if (m.passThrough) return null;
    if (!reads(m.filter, null)) return null;
    for (const op of m.ops) if (!reads(op.expr, op.key)) return null;
    for (const k of m.keyProperties) if (isColumn.has(k)) need.add(k);
    if (m.includeByDefault) {
      const removed = new Set(m.ops.filter((op) => op.expr === null).map((op) => op.key));
      for (const c of columns) if (!removed.has(c)) need.add(c);
    }
  }
  return need;
}

/**
 * `sc` with only the columns in `keep` read: the others become deselected (never queried, not in
 * the SCHEMA the maps start from, and not added back when LOG_BASED sees them again).
 */
export function narrowStreamColumns(sc: StreamColumns, keep: ReadonlySet<string>): StreamColumns {
  const s = sc.stream;
  if (s.columns.every((c) => keep.has(c))) return sc;
  const kept = s.columns.map((c, i) => ({ c, i })).filter(({ c }) => keep.has(c));
  const dropped = s.columns.filter((c) => !keep.has(c));
  const props = (s.schema.properties ?? {}) as Record<string, unknown>;
  return {
    ...sc,
    stream: {
      ...s,
      columns: kept.map(({ c }) => c),
      deselected: [...s.deselected, ...dropped],
      schema: {
        ...s.schema,
        properties: Object.fromEntries(Object.entries(props).filter(([k]) => keep.has(k))),
      },
      sqlDatatypes: Object.fromEntries(Object.entries(s.sqlDatatypes).filter(([k]) => keep.has(k))),
    },
    types: kept.map(({ i }) => sc.types[i]!),
    retyped: sc.retyped.filter((r) => keep.has(r.column)),
    absent: sc.absent.filter((c) => keep.has(c)),
  };
}
