import type { ResolvedType } from '../types/resolved-type';
import type { ValuePolicy } from '../values';
import { RowBodyEncoder, type FieldEscaping } from '../values/row-body-encoder';

/**
 * A stream's RECORD body builder from byte ranges (`bytes`, see RowBodyEncoder), plus a per-column
 * count of the values JSON could not carry as themselves (NaN, ±Infinity, out-of-range dates), so
 * the sync can say so instead of nulling them silently.
 */
export interface RecordEncoder {
  readonly bytes: RowBodyEncoder;
  readonly unrepresentable: ReadonlyMap<string, number>;
}

export function recordEncoder(
  columns: readonly string[],
  types: readonly ResolvedType[],
  policy: ValuePolicy,
  escaping: FieldEscaping = 'raw',
): RecordEncoder {
  const counts = new Map<string, number>();
  const count = (column: string) => counts.set(column, (counts.get(column) ?? 0) + 1);
  const cols = columns.map((name, i) => ({ name, type: types[i]! }));
  return { bytes: new RowBodyEncoder(cols, escaping, policy, count), unrepresentable: counts };
}
