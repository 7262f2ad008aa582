import type { ResolvedType } from '../types/resolved-type';
import { converterFor, type ValuePolicy } from '../values';
import type { TextRow } from '../db/cursor';

/**
 * Turns a row of PostgreSQL text into the body of a RECORD (`"a":1,"b":"x"`). Keys and converters
 * are built once per stream; per row it is one converter call and one concatenation per column,
 * with no intermediate objects, so numerics keep their digits and the hot path stays cheap.
 */
export interface RecordEncoder {
  encode(row: TextRow): string;
}

export function recordEncoder(
  columns: readonly string[],
  types: readonly ResolvedType[],
  policy: ValuePolicy,
): RecordEncoder {
  const keys = columns.map((c, i) => `${i === 0 ? '' : ','}${JSON.stringify(c)}:`);
  const convert = types.map((t) => converterFor(t, policy));
  const n = columns.length;
  return {
    encode(row) {
      let body = '';
      for (let i = 0; i < n; i++) body += keys[i]! + convert[i]!(row[i] ?? null);
      return body;
    },
  };
}
