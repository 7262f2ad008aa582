import type { TextRow } from '../db/cursor';
import type { ResolvedType } from '../types/resolved-type';
import { recordBodyConverter, type ValuePolicy } from '../values';

/**
 * A stream's RECORD body builder (see `recordBodyConverter`), plus a per-column count of the values
 * JSON could not carry as themselves (NaN, ±Infinity, out-of-range dates), so the sync can say so
 * instead of nulling them silently.
 */
export interface RecordEncoder {
  encode(row: TextRow): string;
  readonly unrepresentable: ReadonlyMap<string, number>;
}

export function recordEncoder(
  columns: readonly string[],
  types: readonly ResolvedType[],
  policy: ValuePolicy,
): RecordEncoder {
  const counts = new Map<string, number>();
  const encode = recordBodyConverter(
    columns.map((name, i) => ({ name, type: types[i]! })),
    policy,
    (column) => counts.set(column, (counts.get(column) ?? 0) + 1),
  );
  return { encode, unrepresentable: counts };
}
