import type { SelectedStream } from '../catalog/stream-selection';
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
 * `s` with only the columns in `keep` read (catalog order kept): the others become deselected, so
 * they are never queried, not checked against the live table, not in the SCHEMA the maps start
 * from, and not added back when LOG_BASED sees them again.
 */
export function narrowSelected(s: SelectedStream, keep: ReadonlySet<string>): SelectedStream {
  if (s.columns.every((c) => keep.has(c))) return s;
  const props = (s.schema.properties ?? {}) as Record<string, unknown>;
  return Object.freeze({
    ...s,
    columns: s.columns.filter((c) => keep.has(c)),
    deselected: [...s.deselected, ...s.columns.filter((c) => !keep.has(c))],
    schema: {
      ...s.schema,
      properties: Object.fromEntries(Object.entries(props).filter(([k]) => keep.has(k))),
    },
    sqlDatatypes: Object.fromEntries(Object.entries(s.sqlDatatypes).filter(([k]) => keep.has(k))),
  });
}
