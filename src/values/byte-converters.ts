import { isJsonWhitespace } from './json-text';
import type { ValueKind } from './value-kind';

/**
 * Byte-level fast paths of the text converters in this folder, for the shapes that dominate real
 * tables. Why by hand: decoding every field into a JS string, converting it and encoding the line
 * back to UTF-8 was most of a FULL_TABLE sync's CPU (a profile); copying bytes from
 * PostgreSQL's output straight into the output buffer does the same job several times faster.
 *
 * A fast path writes a value's JSON into `out` from `p` and returns the index after it, or -1
 * when the text is not in the shape it handles (NaN, out-of-range dates, a shifted offset, bad
 * UTF-8, a type that printed something unexpected, …). On -1 the caller discards what was
 * written and runs the string converter, which decides (value, null, policy or error): so these
 * paths can only ever produce what the string converters produce, and
 * src/values/byte-converters.test.ts checks that on every case of the converter table.
 *
 * The caller reserves 6 bytes per input byte plus 16 (`\u00XX` is the longest expansion).
 *
 * `escaped` texts come from `COPY … TO STDOUT` and carry its backslash escapes (`\\`, `\t`, `\n`,
 * …); raw texts come from pgoutput / wal2json tuples.
 */
export type ByteConverter = (out: Buffer, p: number, src: Buffer, s: number, e: number) => number;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const COLON = 0x3a;
const SPACE = 0x20;
const D0 = 0x30;
const D1 = 0x31;
const D9 = 0x39;
const HEX = [
  0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
];

/** The fast path for a kind, or undefined when the kind always takes the string converter. */
export function byteConverterFor(kind: ValueKind, escaped: boolean): ByteConverter | undefined {
  switch (kind) {
    case 'integer':
      return integerBytes;
    case 'numeric':
    case 'float':
      return numberBytes;
    case 'boolean':
      return booleanBytes;
    case 'string':
      return escaped ? copyStringBytes : rawStringBytes;
    case 'interval':
      return intervalBytes(escaped);
    case 'json':
      return jsonBytes(escaped);
    case 'bytea':
      return byteaBytes(escaped);
    case 'date':
      return dateBytes;
    case 'timestamp':
      return timestampBytes;
    case 'timestamptz':
      return timestamptzBytes;
    case 'time':
      return timeBytes;
    case 'timetz':
    case 'hstore':
      return undefined;
  }
}

/** What a fast path writes of the texts it takes: a JSON string of the text, a number as is. */
export const PLAIN_OTHER = 0;
export const PLAIN_STRING = 1;
export const PLAIN_NUMBER = 2;
/** A number fast path that takes integers only (`-?(0|[1-9][0-9]*)`). */
export const PLAIN_INTEGER = 3;

/**
 * PLAIN_STRING for the string fast paths (the value is the text between quotes, escaped as JSON
 * needs), PLAIN_NUMBER and PLAIN_INTEGER for the number ones (a number they take is copied as it
 * is), else PLAIN_OTHER: what a stream map may read from the field's text instead of from its JSON.
 */
export function plainKindOf(converter: ByteConverter | undefined): number {
  if (converter === copyStringBytes || converter === rawStringBytes) return PLAIN_STRING;
  if (converter === numberBytes) return PLAIN_NUMBER;
  if (converter === integerBytes) return PLAIN_INTEGER;
  return PLAIN_OTHER;
}

/**
 * One-dimensional arrays of integers or numbers printed plainly, `{1,-2,3.5}` → `[1,-2,3.5]`:
 * every element must pass its scalar fast path; NULL, NaN, quotes, nested braces, bounds
 * decorations (`[0:1]=`) and anything else take the string path.
 */
export function numberArrayConverterFor(kind: ValueKind): ByteConverter | undefined {
  if (kind === 'integer') return numberArrayBytes(integerBytes);
  if (kind === 'numeric' || kind === 'float') return numberArrayBytes(numberBytes);
  return undefined;
}

function numberArrayBytes(element: ByteConverter): ByteConverter {
  return (out, p, src, s, e) => {
    if (e - s < 2 || src[s] !== 0x7b || src[e - 1] !== 0x7d) return -1;
    out[p++] = 0x5b; // [
    let from = s + 1;
    const last = e - 1;
    if (from < last) {
      for (;;) {
        let to = from;
        while (to < last && src[to] !== 0x2c) to++;
        p = element(out, p, src, from, to);
        if (p < 0) return -1;
        if (to === last) break;
        out[p++] = 0x2c;
        from = to + 1;
      }
    }
    out[p++] = 0x5d; // ]
    return p;
  };
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= D0 && c <= D9;

function copyRange(out: Buffer, p: number, src: Buffer, s: number, e: number): number {
  for (let i = s; i < e; i++) out[p++] = src[i]!;
  return p;
}

/** `-?(0|[1-9][0-9]*)`, copied. */
function integerBytes(out: Buffer, p: number, src: Buffer, s: number, e: number): number {
  const i = integerPartEnd(src, s, e);
  return i === e ? copyRange(out, p, src, s, e) : -1;
}

function integerPartEnd(src: Buffer, s: number, e: number): number {
  let i = s;
  if (src[i] === MINUS) i++;
  if (i >= e) return -1;
  const c = src[i]!;
  if (c === D0) return i + 1;
  if (c < D1 || c > D9) return -1;
  i++;
  while (i < e && isDigit(src[i])) i++;
  return i;
}

/** The JSON number grammar (see isJsonNumber in scalars.ts), copied. */
function numberBytes(out: Buffer, p: number, src: Buffer, s: number, e: number): number {
  let i = integerPartEnd(src, s, e);
  if (i < 0) return -1;
  if (i < e && src[i] === DOT) {
    const j = i + 1;
    i = j;
    while (i < e && isDigit(src[i])) i++;
    if (i === j) return -1;
  }
  if (i < e && (src[i] === 0x65 || src[i] === 0x45)) {
    i++;
    if (i < e && (src[i] === PLUS || src[i] === MINUS)) i++;
    const j = i;
    while (i < e && isDigit(src[i])) i++;
    if (i === j) return -1;
  }
  return i === e ? copyRange(out, p, src, s, e) : -1;
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

function booleanBytes(out: Buffer, p: number, src: Buffer, s: number, e: number): number {
  if (e - s !== 1) return -1;
  const word = src[s] === 0x74 ? TRUE : src[s] === 0x66 ? FALSE : undefined;
  if (!word) return -1;
  for (let i = 0; i < word.length; i++) out[p++] = word[i]!;
  return p;
}

/**
 * Length of the well-formed UTF-8 sequence at `i` (lead byte ≥ 0x80), or 0. Well-formed means
 * what the string path would round-trip unchanged: no overlong forms, no surrogates, ≤ U+10FFFF.
 */
function utf8SequenceLength(src: Buffer, i: number, e: number): number {
  const c = src[i]!;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0;
    else if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90;
    else if (c === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + n > e) return 0;
  const c1 = src[i + 1]!;
  if (c1 < lo || c1 > hi) return 0;
  for (let k = 2; k < n; k++) {
    const ck = src[i + k]!;
    if (ck < 0x80 || ck > 0xbf) return 0;
  }
  return n;
}

/** JSON's two-character escapes by character (`\n` → `n`, …); 0 where `\u00XX` is written. */
const JSON_SHORT_ESCAPE = new Uint8Array(128);
/** COPY TO's escape letters (`\b \f \n \r \t \v`) to what they stand for; 0: the letter itself. */
const COPY_UNESCAPED = new Uint8Array(128);
for (const [c, letter] of [
  [0x08, 0x62],
  [0x0c, 0x66],
  [0x0a, 0x6e],
  [0x0d, 0x72],
  [0x09, 0x74],
]) {
  JSON_SHORT_ESCAPE[c!] = letter!;
  COPY_UNESCAPED[letter!] = c!;
}
JSON_SHORT_ESCAPE[QUOTE] = QUOTE;
JSON_SHORT_ESCAPE[BACKSLASH] = BACKSLASH;
COPY_UNESCAPED[0x76] = 0x0b; // \v (JSON has no short form of it)

/** Copies the well-formed UTF-8 sequence at `i` to `out[p…]`; its length, or 0 (nothing copied). */
function putUtf8Sequence(out: Buffer, p: number, src: Buffer, i: number, e: number): number {
  const n = utf8SequenceLength(src, i, e);
  for (let k = 0; k < n; k++) out[p + k] = src[i + k]!;
  return n;
}

/** The JSON escape of an ASCII character that needs one, as JSON.stringify writes it. */
function putEscaped(out: Buffer, p: number, c: number): number {
  out[p++] = BACKSLASH;
  const short = JSON_SHORT_ESCAPE[c]!;
  if (short !== 0) {
    out[p++] = short;
    return p;
  }
  out[p++] = 0x75; // u00XX, lowercase like V8
  out[p++] = D0;
  out[p++] = D0;
  out[p++] = HEX[c >> 4]!;
  out[p++] = HEX[c & 15]!;
  return p;
}

/**
 * The character a COPY TO escape `\<c>` stands for: COPY TO writes `\\`, `\b \f \n \r \t \v`
 * for those control characters and `\<delimiter>`; any other escaped character stands for itself.
 * (The octal and hex forms COPY FROM also reads are never written by COPY TO.)
 */
export function copyUnescape(c: number): number {
  return (c < 0x80 && COPY_UNESCAPED[c]) || c;
}

/** 1 for the bytes a JSON string carries as they are: printable ASCII but `"` and `\`. */
const PLAIN = new Uint8Array(256);
for (let c = SPACE; c < 0x80; c++) PLAIN[c] = c === QUOTE || c === BACKSLASH ? 0 : 1;

/**
 * A run at least this long is copied natively, a shorter one by a loop: Buffer#copy costs about
 * as much as a loop over 40–60 bytes (a micro-benchmark), then stays flat as the loop grows.
 */
const NATIVE_COPY_FROM = 64;

/** `src[s, e)` into `out` at `p`; the index after it. */
function copyRun(out: Buffer, p: number, src: Buffer, s: number, e: number): number {
  if (e - s >= NATIVE_COPY_FROM) return p + src.copy(out, p, s, e);
  for (let i = s; i < e; i++) out[p++] = src[i]!;
  return p;
}

/** The body of a JSON string (no quotes) from `src[s, e)`, or -1. */
function stringBody(
  out: Buffer,
  p: number,
  src: Buffer,
  s: number,
  e: number,
  escaped: boolean,
): number {
  for (let i = s; i < e; i++) {
    // Most text is runs of plain ASCII: one table lookup per byte finds the run, and a long run
    // moves in one native copy.
    let j = i;
    if (e - i >= NATIVE_COPY_FROM) {
      while (j < e && PLAIN[src[j]!] === 1) j++;
      p = copyRun(out, p, src, i, j);
    } else {
      // A short text: copied as it is checked, in one pass.
      for (let b = src[j]!; j < e && PLAIN[b] === 1; b = src[++j]!) out[p++] = b;
    }
    if (j === e) break;
    i = j;
    let c = src[i]!;
    if (c >= 0x80) {
      const n = putUtf8Sequence(out, p, src, i, e);
      if (n === 0) return -1;
      p += n;
      i += n - 1;
      continue;
    }
    if (escaped && c === BACKSLASH) {
      i++;
      if (i >= e || src[i]! >= 0x80) return -1;
      c = copyUnescape(src[i]!);
    }
    if (c < SPACE || c === QUOTE || c === BACKSLASH) p = putEscaped(out, p, c);
    else out[p++] = c;
  }
  return p;
}

function quotedString(
  out: Buffer,
  p: number,
  src: Buffer,
  s: number,
  e: number,
  escaped: boolean,
): number {
  out[p++] = QUOTE;
  p = stringBody(out, p, src, s, e, escaped);
  if (p < 0) return -1;
  out[p++] = QUOTE;
  return p;
}

function rawStringBytes(out: Buffer, p: number, src: Buffer, s: number, e: number): number {
  return quotedString(out, p, src, s, e, false);
}

function copyStringBytes(out: Buffer, p: number, src: Buffer, s: number, e: number): number {
  return quotedString(out, p, src, s, e, true);
}

/** An ISO 8601 duration starts with `P`; `infinity` and errors take the string path. */
function intervalBytes(escaped: boolean): ByteConverter {
  return (out, p, src, s, e) => (src[s] === 0x50 ? quotedString(out, p, src, s, e, escaped) : -1);
}

/**
 * json / jsonb without whitespace outside strings (see minifyJson). A COPY text with a backslash
 * (an escape inside a JSON string, or a line break of a `json` value) takes the string path.
 */
function jsonBytes(escaped: boolean): ByteConverter {
  return (out, p, src, s, e) => {
    let inString = false;
    for (let i = s; i < e; i++) {
      const c = src[i]!;
      if (c >= 0x80) {
        const n = putUtf8Sequence(out, p, src, i, e);
        if (n === 0) return -1;
        p += n;
        i += n - 1;
        continue;
      }
      if (c === BACKSLASH) {
        if (escaped || !inString || i + 1 >= e) return -1;
        out[p++] = c;
        const next = src[++i]!;
        if (next >= 0x80) return -1;
        out[p++] = next;
        continue;
      }
      if (inString) {
        if (c === QUOTE) inString = false;
      } else if (c === QUOTE) {
        inString = true;
      } else if (isJsonWhitespace(c)) {
        continue;
      }
      out[p++] = c;
    }
    return p;
  };
}

/** 1 for `0-9a-f`. */
const LOWER_HEX = new Uint8Array(256);
for (const c of HEX) LOWER_HEX[c] = 1;

/** bytea `\x` + lowercase hex pairs (COPY doubles the backslash) → the digits, quoted. */
function byteaBytes(escaped: boolean): ByteConverter {
  const prefix = escaped ? 3 : 2;
  return (out, p, src, s, e) => {
    if (src[s] !== BACKSLASH) return -1;
    if (escaped && src[s + 1] !== BACKSLASH) return -1;
    if (src[s + prefix - 1] !== 0x78 || e - s < prefix || (e - s - prefix) % 2 !== 0) return -1;
    for (let i = s + prefix; i < e; i++) if (LOWER_HEX[src[i]!] === 0) return -1;
    // Checked first, then copied in one go: bytea values are long (twice their size in hex).
    out[p++] = QUOTE;
    p = copyRun(out, p, src, s + prefix, e);
    out[p++] = QUOTE;
    return p;
  };
}

const twoDigits = (src: Buffer, i: number) => isDigit(src[i]) && isDigit(src[i + 1]);

/** `YYYY-MM-DD` at `i` (a four-digit year: others take the string path). */
function isIsoDate(src: Buffer, i: number): boolean {
  return (
    twoDigits(src, i) &&
    twoDigits(src, i + 2) &&
    src[i + 4] === MINUS &&
    twoDigits(src, i + 5) &&
    src[i + 7] === MINUS &&
    twoDigits(src, i + 8)
  );
}

/** Index after `HH:MM:SS[.f+]` at `i`, or -1. */
function timeEnd(src: Buffer, i: number, e: number): number {
  if (
    i + 8 > e ||
    !twoDigits(src, i) ||
    src[i + 2] !== COLON ||
    !twoDigits(src, i + 3) ||
    src[i + 5] !== COLON ||
    !twoDigits(src, i + 6)
  ) {
    return -1;
  }
  let j = i + 8;
  if (j < e && src[j] === DOT) {
    j++;
    if (j >= e || !isDigit(src[j])) return -1;
    while (j < e && isDigit(src[j])) j++;
  }
  return j;
}

function dateBytes(out: Buffer, p: number, src: Buffer, s: number, e: number): number {
  if (e - s !== 10 || !isIsoDate(src, s)) return -1;
  out[p++] = QUOTE;
  p = copyRange(out, p, src, s, e);
  out[p++] = QUOTE;
  return p;
}

const UTC_SUFFIX = Buffer.from('+00:00"');

/** `YYYY-MM-DD HH:MM:SS` as a pattern: 0 where a digit goes, else the byte that must be there. */
const STAMP = Buffer.from('0000-00-00 00:00:00').map((c) => (c === D0 ? 0 : c));

/**
 * `"YYYY-MM-DDTHH:MM:SS[.f+]` from the text at `s` (checked and copied in one pass, the space
 * becoming `T`), then `suffix`: the index after it, or -1 unless the fraction ends at `te`.
 * Why one pass: the check-then-copy version was 7% of a narrow FULL_TABLE's CPU (a profile).
 */
function putStamp(out: Buffer, p: number, src: Buffer, s: number, te: number): number {
  if (te - s < 19) return -1;
  out[p++] = QUOTE;
  for (let k = 0; k < 19; k++) {
    const c = src[s + k]!;
    const want = STAMP[k]!;
    if (want === 0 ? c - D0 > 9 || c < D0 : c !== want) return -1;
    out[p++] = k === 10 ? 0x54 : c; // T
  }
  let j = s + 19;
  if (j < te) {
    if (src[j] !== DOT || j + 1 === te) return -1;
    out[p++] = DOT;
    for (j++; j < te; j++) {
      const c = src[j]!;
      if (c < D0 || c > D9) return -1;
      out[p++] = c;
    }
  }
  for (let i = 0; i < UTC_SUFFIX.length; i++) out[p++] = UTC_SUFFIX[i]!;
  return p;
}

function timestampBytes(out: Buffer, p: number, src: Buffer, s: number, e: number): number {
  return putStamp(out, p, src, s, e);
}

/** Only the pinned session's `+00`; any other offset is shifted by the string path. */
function timestamptzBytes(out: Buffer, p: number, src: Buffer, s: number, e: number): number {
  if (src[e - 3] !== PLUS || src[e - 2] !== D0 || src[e - 1] !== D0) return -1;
  return putStamp(out, p, src, s, e - 3);
}

function timeBytes(out: Buffer, p: number, src: Buffer, s: number, e: number): number {
  if (timeEnd(src, s, e) !== e) return -1;
  out[p++] = QUOTE;
  p = copyRange(out, p, src, s, e);
  out[p++] = QUOTE;
  return p;
}
