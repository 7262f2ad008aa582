import { parse } from 'lossless-json';
import { RawJson } from './raw-json';

/** Significant digits of a JSON number literal (sign, point, exponent and leading zeros aside). */
function significantDigits(literal: string): number {
  const mantissa = literal
    .replace(/^-/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '');
  return mantissa.replace(/^0+/, '').length;
}

/**
 * JSON.parse, except that a number a double cannot hold exactly (a bigint or numeric bookmark:
 * 9223372036854775807, 12345678901234567890.5) stays its text as a RawJson. JSON.parse would
 * round it, and the next run would resume from a key that was never emitted: rows skipped, or a
 * bigint out of range. Duplicate keys are refused rather than silently resolved.
 */
export function parseExactJson(text: string): unknown {
  return parse(text, null, (literal: string) => {
    const n = Number(literal);
    if (Number.isSafeInteger(n) || significantDigits(literal) <= 15) return n;
    return new RawJson(literal);
  });
}
