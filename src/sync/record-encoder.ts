import type { TextRow } from '../db/cursor';
import type { ResolvedType } from '../types/resolved-type';
import { recordBodyConverter, type ValuePolicy } from '../values';
import { RowBodyEncoder, type FieldEscaping } from '../values/row-body-encoder';

/**
 * A stream's RECORD body builders, from texts (`encode`, see `recordBodyConverter`) and from byte
 * ranges (`bytes`, see RowBodyEncoder), plus a per-column count of the values JSON could not carry
 * as themselves (NaN, ±Infinity, out-of-range dates), so the sync can say so instead of nulling
 * them silently.
 */
export interface RecordEncoder {
  encode(row: TextRow): string;
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
  const encode = recordBodyConverter(cols, policy, count);
  return {
    encode,
    bytes: new RowBodyEncoder(cols, escaping, policy, count),
    unrepresentable: counts,
  };
}
