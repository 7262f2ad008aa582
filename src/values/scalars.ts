import { conversionError, type ConversionContext, type TextConverter } from './conversion-context';
import { JSON_NULL, jsonString } from './json-fragment';

const CH_MINUS = 0x2d;
const CH_PLUS = 0x2b;
const CH_DOT = 0x2e;
const CH_0 = 0x30;
const CH_1 = 0x31;
const CH_9 = 0x39;
const CH_E = 0x45;
const CH_e = 0x65;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

/** Index after a run of digits starting at `i`. */
function skipDigits(t: string, i: number): number {
  while (i < t.length && isDigit(t.charCodeAt(i))) i++;
  return i;
}

/** Index after `-?(0|[1-9][0-9]*)` at the start of `t`, or -1. */
function integerPartEnd(t: string): number {
  let i = 0;
  if (t.charCodeAt(0) === CH_MINUS) i = 1;
  const c = t.charCodeAt(i);
  if (c === CH_0) return i + 1;
  if (c >= CH_1 && c <= CH_9) return skipDigits(t, i + 1);
  return -1;
}

/** The JSON integer grammar. PostgreSQL never prints a leading zero or a `+`. */
export function isJsonInteger(t: string): boolean {
  return integerPartEnd(t) === t.length;
}

/**
 * The JSON number grammar. Every finite numeric and float text PostgreSQL prints fits it
 * (`-0`, `1e+30`, `1.5e-07`: JSON allows the exponent's sign and leading zeros); checking is a
 * short char scan and keeps a mistyped column from splicing arbitrary text into the line.
 */
export function isJsonNumber(t: string): boolean {
  let i = integerPartEnd(t);
  if (i < 0) return false;
  if (t.charCodeAt(i) === CH_DOT) {
    const j = skipDigits(t, i + 1);
    if (j === i + 1) return false;
    i = j;
  }
  const e = t.charCodeAt(i);
  if (e === CH_e || e === CH_E) {
    i++;
    const s = t.charCodeAt(i);
    if (s === CH_PLUS || s === CH_MINUS) i++;
    const j = skipDigits(t, i);
    if (j === i) return false;
    i = j;
  }
  return i === t.length;
}

/** int2, int4, int8, oid: the digits as printed, so int8 is exact beyond 2^53. */
export function integerConverter(ctx: ConversionContext): TextConverter {
  return (t) => {
    if (t === null) return JSON_NULL;
    if (isJsonInteger(t)) return t;
    throw conversionError(ctx, t, 'an integer');
  };
}

/** Both numeric and float8 print the non-finite values with these spellings. */
function isNonFinite(t: string): boolean {
  return t === 'NaN' || t === 'Infinity' || t === '-Infinity';
}

/**
 * numeric, float4, float8: the digits as printed. numeric never uses exponents and keeps its
 * scale (`-0.00100`); floats under extra_float_digits=3 print the shortest text that reads back
 * to the same double (`5e-324`, `1.7976931348623157e+308`). NaN and ±Infinity have no JSON
 * spelling and become null, reported as unrepresentable; in a key column, whose
 * value must stay distinct from every other, they are the strings `"NaN"`, `"Infinity"`,
 * `"-Infinity"`.
 */
export function decimalConverter(ctx: ConversionContext): TextConverter {
  return (t) => {
    if (t === null) return JSON_NULL;
    if (isJsonNumber(t)) return t;
    if (isNonFinite(t)) {
      if (ctx.key) return `"${t}"`;
      ctx.onUnrepresentable?.(t);
      return JSON_NULL;
    }
    throw conversionError(ctx, t, 'a number');
  };
}

export function booleanConverter(ctx: ConversionContext): TextConverter {
  return (t) => {
    if (t === null) return JSON_NULL;
    if (t === 't') return 'true';
    if (t === 'f') return 'false';
    throw conversionError(ctx, t, '`t` or `f`');
  };
}

/** `\\x` and pairs of lowercase hex digits (a regular expression: native speed on long values). */
const HEX_BYTEA = /^\\x(?:[0-9a-f][0-9a-f])*$/;

/**
 * bytea under bytea_output=hex prints `\x` and two lowercase hex digits per byte. The tap emits
 * the digits without the prefix: plain hex is what decoders take (`bytes.fromhex`, PostgreSQL's
 * `decode(v, 'hex')`, warehouses' HEX_DECODE / FROM_HEX), and the backslash would otherwise reach
 * targets as a literal `\x` in every value. The scan proves the text needs no JSON escaping.
 */
export function byteaConverter(ctx: ConversionContext): TextConverter {
  return (t) => {
    if (t === null) return JSON_NULL;
    if (!HEX_BYTEA.test(t)) {
      throw conversionError(ctx, t, 'hex bytea `\\x…`; is bytea_output=hex set?');
    }
    return `"${t.slice(2)}"`;
  };
}

/** Every type whose natural JSON form is its text: text types, uuid, inet, enums, ranges, … */
export function stringConverter(): TextConverter {
  return (t) => (t === null ? JSON_NULL : jsonString(t));
}
