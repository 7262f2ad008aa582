/** What readNumber read: the value is ±coefficient × 10^-scale (scale 0: an integer). */
export const NUMBER = { negative: false, coefficient: 0, scale: 0 };

const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Reads a JSON number of up to 15 digits without an exponent into NUMBER: its digits as an
 * integer (exact in a double) and its scale. False for anything else (an exponent, more digits,
 * not a number, a leading zero before a digit), which the caller takes its general path for. It
 * also reads a number column's text as PostgreSQL sends it, which is the same bytes.
 */
export function readNumber(b: Uint8Array, start: number, end: number): boolean {
  let p = start;
  const negative = b[p] === MINUS;
  if (negative) p++;
  const first = p;
  let n = 0;
  let digits = 0;
  let point = -1;
  for (; p < end; p++) {
    const d = b[p]!;
    if (d >= ZERO && d <= NINE) {
      n = n * 10 + (d - ZERO);
      digits++;
    } else if (d === DOT && point < 0) {
      point = p;
    } else {
      return false;
    }
  }
  if (digits === 0 || digits > 15 || point === end - 1 || point === first) return false;
  // A leading zero before another digit: not JSON, nor a number PostgreSQL prints (read as text).
  if (b[first] === ZERO && first + 1 < end && b[first + 1] !== DOT) return false;
  NUMBER.negative = negative;
  NUMBER.coefficient = n;
  NUMBER.scale = point < 0 ? 0 : end - point - 1;
  return true;
}
