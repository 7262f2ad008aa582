import { bodyEntries, scanBody, type BodyEntries } from './body-scanner';
import { viewOf } from './byte-copy';
import { newSmallDecimal, pyFromJson, type PyDict, type PyValue } from './expression';
import { NUMBER, readNumber } from './json-number';

/**
 * One source RECORD body as the maps see it: its entries as byte ranges, values decoded only when
 * an expression reads them (once per record, shared by every output of the stream). Records of a
 * stream nearly always have the same keys in the same order: the decoded key list is kept and only
 * compared byte for byte, and `layout` changes when it differs, so per-layout plans can be cached.
 */
export class RecordView {
  buf: Buffer = Buffer.alloc(0);
  readonly entries: BodyEntries = bodyEntries();
  /** The current layout's keys, decoded. */
  keys: string[] = [];
  /** Bumped whenever the keys (or their order) differ from the previous record's. */
  layout = 0;
  private keyBytes: Buffer[] = [];
  private index = new Map<string, number>();
  private values: Array<PyValue | undefined> = [];
  private whole: PyDict | undefined;

  /** The writer whose bodies always have the current keys (`written`), if any. */
  private keysOf: object | null = null;

  /** Scans the body in [start, end) (or up to the top-level `}` with `stopAtBrace`); returns where it stopped. */
  load(buf: Buffer, start: number, end: number, stopAtBrace = false): number {
    this.buf = buf;
    const stop = scanBody(buf, start, end, this.entries, stopAtBrace);
    this.reset();
    this.keysOf = null;
    if (!this.sameKeys()) this.adoptKeys();
    return stop;
  }

  /**
   * A body in `buf` whose `entries` its writer already filled in, with the keys it always writes
   * (a RowBodyEncoder's columns): no scan, and the keys are only compared when the writer changes.
   */
  written(buf: Buffer, writer: object): void {
    this.buf = buf;
    this.reset();
    if (writer === this.keysOf) return;
    if (!this.sameKeys()) this.adoptKeys();
    this.keysOf = writer;
  }

  private reset(): void {
    const values = this.values;
    for (let i = 0; i < values.length; i++) values[i] = undefined;
    this.whole = undefined;
  }

  private sameKeys(): boolean {
    const e = this.entries;
    if (e.n !== this.keyBytes.length) return false;
    const b = this.buf;
    for (let i = 0; i < e.n; i++) {
      const k = this.keyBytes[i]!;
      const s = e.keyStarts[i]!;
      if (e.keyEnds[i]! - s !== k.length) return false;
      for (let j = 0; j < k.length; j++) if (b[s + j] !== k[j]) return false;
    }
    return true;
  }

  private adoptKeys(): void {
    const e = this.entries;
    this.keyBytes = [];
    this.keys = [];
    this.index = new Map();
    for (let i = 0; i < e.n; i++) {
      const raw = this.buf.subarray(e.keyStarts[i]!, e.keyEnds[i]!);
      this.keyBytes.push(Buffer.from(raw));
      const key = JSON.parse(raw.toString('utf8')) as string;
      this.keys.push(key);
      this.index.set(key, i);
    }
    this.layout++;
  }

  /** The entry index of `key` in the current record, or -1. */
  indexOf(key: string): number {
    return this.index.get(key) ?? -1;
  }

  /** The value of entry `i`, decoded (once per record). */
  valueAt(i: number): PyValue {
    let v = this.values[i];
    if (v === undefined) {
      const e = this.entries;
      v = decodeValue(this.buf, e.valueStarts[i]!, e.valueEnds[i]!);
      this.values[i] = v;
    }
    return v;
  }

  /** The value of property `key`, or undefined when the record does not have it. */
  value(key: string): PyValue | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.valueAt(i);
  }

  /** The whole record as a dict (`record`, `_`). */
  dict(): PyDict {
    if (!this.whole) {
      const d: PyDict = new Map();
      for (let i = 0; i < this.entries.n; i++) d.set(this.keys[i]!, this.valueAt(i));
      this.whole = d;
    }
    return this.whole;
  }
}

/** Node's Buffer methods behind `toString('latin1' | 'utf8', start, end)` (not in its types). */
interface Slicers {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * `pyFromJson` of one JSON value, with the common cases taken directly (the same values it gives):
 * a string without escapes is its bytes, a number of up to 15 digits without an exponent an int
 * or a Decimal made from its digits, and the three literals themselves. Anything else (escapes,
 * exponents, long numbers, objects) goes through pyFromJson.
 */
export function decodeValue(b: Buffer, start: number, end: number): PyValue {
  const c = b[start]!;
  if (c === QUOTE) {
    let high = 0;
    let p = start + 1;
    const last = end - 1;
    if (last - p >= 4) {
      // Four bytes at a time: a backslash (the general path) or a byte from 0x80 (UTF-8) in a word.
      const v = viewOf(b);
      for (; p + 4 <= last; p += 4) {
        const w = v.getInt32(p);
        const x = w ^ 0x5c5c5c5c;
        // Nonzero exactly when some byte of x is zero, i.e. some byte of w is a backslash.
        if (((x - 0x01010101) & ~x & 0x80808080) !== 0) break;
        high |= w;
      }
    }
    for (; p < last; p++) {
      const d = b[p]!;
      if (d === BACKSLASH) return pyFromJson(b.toString('utf8', start, end));
      high |= d;
    }
    // Buffer's own slicers: `toString` checks its arguments and picks one per call, which cost
    // as much as the decoding; ASCII is the same text in latin1, whose decoder is the cheaper.
    const slices = b as unknown as Slicers;
    // ASCII: no byte had its top bit set (the words' high bits kept, the bytes' own).
    return (high & 0x80808080) === 0
      ? slices.latin1Slice(start + 1, end - 1)
      : slices.utf8Slice(start + 1, end - 1);
  }
  if ((c >= ZERO && c <= NINE) || c === MINUS) return decodeNumber(b, start, end);
  if (end - start === 4 && c === 0x6e) return null;
  if (end - start === 4 && c === 0x74) return true;
  if (end - start === 5 && c === 0x66) return false;
  return pyFromJson(b.toString('utf8', start, end));
}

/** A JSON number: int, or Decimal when it has a fraction. */
function decodeNumber(b: Buffer, start: number, end: number): PyValue {
  if (!readNumber(b, start, end)) return pyFromJson(b.toString('latin1', start, end));
  const { negative, coefficient, scale } = NUMBER;
  if (scale === 0) return BigInt(negative ? -coefficient : coefficient);
  return newSmallDecimal(negative, coefficient, -scale);
}
