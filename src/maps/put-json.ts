import { putBytes, putString, type ByteSink } from '../values/byte-sink';
import { viewOf } from './byte-copy';
import { pyToJson, type PyValue } from './expression';

/**
 * A map's computed values written as JSON into a record being built, with the common cases (ASCII
 * strings, safe integers) written byte by byte instead of through a JSON text made first.
 */

const QUOTE = Buffer.from('"');

/** Whether JSON writes `s` as its characters between quotes (nothing escaped, no lone surrogate). */
function isPlainString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** `pyToJson(value)` into `sink`; plain strings and ints without building the text twice. */
export function putJson(sink: ByteSink, value: PyValue): void {
  if (typeof value === 'string') {
    if (putAsciiString(sink, value)) return;
    if (isPlainString(value)) {
      putBytes(sink, QUOTE);
      putString(sink, value);
      putBytes(sink, QUOTE);
      return;
    }
  } else if (typeof value === 'bigint') {
    // Beyond the safe integers a bigint converts to a double of magnitude 2^53 or more.
    const n = Number(value);
    if (Number.isSafeInteger(n)) putSafeInteger(sink, n);
    else putString(sink, value.toString());
    return;
  }
  putString(sink, pyToJson(value));
}

/** 10^k, exact, for k up to 16. */
const POWERS_OF_TEN = Array.from({ length: 17 }, (_, k) => 10 ** k);

/** The digits of an integer of at most 16 digits, without a string (an int a map computes). */
export function putSafeInteger(sink: ByteSink, n: number): void {
  if (sink.pos + 17 > sink.buf.length) sink.reserve(17);
  const out = sink.buf;
  let p = sink.pos;
  if (n < 0) {
    out[p++] = 0x2d;
    n = -n;
  }
  let digits = 1;
  while (digits < 16 && n >= POWERS_OF_TEN[digits]!) digits++;
  let i = p + digits - 1;
  // Below 2^31 in 32-bit integer steps, cheaper than the doubles' division and floor.
  for (; n > 0x7fffffff; i--) {
    const q = Math.floor(n / 10);
    out[i] = 0x30 + (n - q * 10);
    n = q;
  }
  for (; i >= p; i--) {
    const q = (n / 10) | 0;
    out[i] = 0x30 + (n - q * 10);
    n = q;
  }
  sink.pos = p + digits;
}

/**
 * A string of printable ASCII in quotes, byte by byte (most mapped values: hashes, codes, names);
 * false, with nothing written, for any other string. Cheaper than a native UTF-8 write for the
 * short strings maps make.
 */
function putAsciiString(sink: ByteSink, s: string): boolean {
  const n = s.length;
  if (sink.pos + n + 2 > sink.buf.length) sink.reserve(n + 2);
  const out = sink.buf;
  let p = sink.pos;
  out[p++] = 0x22;
  let i = 0;
  if (n >= 8) {
    // Four characters a store (the bytes in the word's big-endian order).
    const to = viewOf(out);
    for (; i + 4 <= n; i += 4, p += 4) {
      const a = s.charCodeAt(i);
      const b = s.charCodeAt(i + 1);
      const c = s.charCodeAt(i + 2);
      const d = s.charCodeAt(i + 3);
      if (!isPlainAscii(a) || !isPlainAscii(b) || !isPlainAscii(c) || !isPlainAscii(d)) {
        return false;
      }
      to.setInt32(p, (a << 24) | (b << 16) | (c << 8) | d);
    }
  }
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!isPlainAscii(c)) return false;
    out[p++] = c;
  }
  out[p++] = 0x22;
  sink.pos = p;
  return true;
}

/** A character JSON writes as itself, in one byte. */
function isPlainAscii(c: number): boolean {
  return c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c;
}
