import { isUtf8 } from 'node:buffer';
import type { ByteSink } from '../values/byte-sink';
import type { Expression } from './expression';
import type { Node } from './expression/ast';
import { viewOf } from './byte-copy';
import { md5HexInto, nativeHash } from './expression/md5';
import { NUMBER, readNumber } from './json-number';
import { putSafeInteger } from './put-json';

/**
 * The expressions maps use most (hash a value, change its case, turn a numeric into an int, filter
 * on a number), evaluated on the JSON bytes of the one record value they read, straight into the
 * output record. The general evaluation decodes the value into a Python value, calls the built-in
 * on it and writes the result's JSON back, which costs several times the work itself; these forms
 * skip both conversions. Each takes only the values whose result it gives exactly as the general
 * evaluation would (plain strings, numbers of up to 15 digits) and hands every other value, null
 * included, back to it, so errors and unusual values keep the one implementation.
 */

/**
 * An op's expression on one value. `takes` says whether it gives the result for the value (else
 * the general evaluation runs); `write` then writes that result's JSON, for the same value, even
 * after other forms have run. Neither throws.
 */
export interface ByteForm {
  /** The record entry (of the layout it was made for) it reads. */
  readonly entry: number;
  takes(buf: Buffer, start: number, end: number): boolean;
  write(sink: ByteSink, buf: Buffer, start: number, end: number): void;
  /**
   * The most bytes `write` writes for a value of `valueBytes` bytes: a constant, or the size plus
   * a constant (DirectRowMap works it out once per map from two sizes, and checks a third).
   */
  maxBytes(valueBytes: number): number;
  /**
   * For forms that read numbers only, `takes` on a number read already (as json-number's NUMBER):
   * they then read a number column's text as sent, which is the same bytes as its JSON, read once
   * for all its forms. `write` follows it as it follows `takes`.
   */
  takesNumber?(negative: boolean, coefficient: number, scale: number): boolean;
  /**
   * For forms that read strings: the texts as sent (no quotes) whose `textKind` they take, TEXT_ASCII
   * or TEXT_UTF8 (also valid UTF-8 beyond ASCII). `writeText` and `maxTextBytes` are then `write`
   * and `maxBytes` on such a text, which is exactly the string its JSON holds.
   */
  readonly textNeeds?: number;
  writeText?(sink: ByteSink, buf: Buffer, start: number, end: number): void;
  maxTextBytes?(textBytes: number): number;
  /**
   * `writeText` into `out` at `p`, where its room is made already, given the DataViews of `buf`
   * and `out` (`from`, `to`); returns the end. For a caller that keeps both views (DirectRowMap):
   * the form can then read and write four bytes at a time without looking them up.
   */
  putText?(
    from: DataView,
    buf: Buffer,
    start: number,
    end: number,
    to: DataView,
    out: Buffer,
    p: number,
  ): number;
  /**
   * True for `md5` of a string: `write` is a quote, the 32 hex digits of the MD5 of the string's
   * UTF-8 bytes (the JSON's between its quotes, or the text as sent) and a quote, which a caller
   * may make another way (src/maps/digests/).
   */
  readonly md5?: boolean;
}

/** A filter on one value: TRUE, FALSE, or UNKNOWN to let the general evaluation decide. */
export interface ByteTest {
  readonly entry: number;
  test(buf: Buffer, start: number, end: number): number;
  /** As ByteForm's `takesNumber`: `test` on a number read already. */
  testNumber?(negative: boolean, coefficient: number, scale: number): number;
}

/** ByteForm.textNeeds: ASCII only. */
export const TEXT_ASCII = 1;
/** ByteForm.textNeeds: ASCII, or valid UTF-8 beyond it (isUtf8). */
export const TEXT_UTF8 = 2;

export const FALSE = 0;
export const TRUE = 1;
export const UNKNOWN = -1;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** 10^k, exact, for k up to 15. */
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);

/** The name's record entry when `node` is a bare name bound to one, else -1. */
function entryOf(node: Node, expr: Expression, bound: ArrayLike<number>): number {
  if (node.kind !== 'Name') return -1;
  const k = expr.scopeNames.indexOf(node.id);
  return k < 0 ? -1 : bound[k]!;
}

/** An int literal (`5`, `-5`) within the safe integers, else null. */
function intLiteral(node: Node): number | null {
  let sign = 1;
  let n = node;
  if (n.kind === 'Unary' && n.op === '-') {
    sign = -1;
    n = n.operand;
  }
  if (n.kind !== 'Const' || typeof n.value !== 'bigint') return null;
  const v = Number(n.value);
  return Number.isSafeInteger(v) ? sign * v : null;
}

/** `f(name)` with a built-in function `f` and no keywords: the argument, else null. */
function callOf(node: Node, f: string): Node | null {
  if (node.kind !== 'Call' || node.func.kind !== 'Name' || node.func.id !== f) return null;
  return node.args.length === 1 && node.keywords.length === 0 ? node.args[0]! : null;
}

/** The form of `expr` given how its names are bound in a layout, or null: it has none. */
export function byteFormOf(expr: Expression, bound: ArrayLike<number>): ByteForm | null {
  const t = expr.tree;
  for (const digest of ['md5', 'sha256'] as const) {
    const arg = callOf(t, digest);
    const entry = arg === null ? -1 : entryOf(arg, expr, bound);
    if (entry >= 0) return new DigestForm(entry, digest);
  }
  if (
    t.kind === 'Call' &&
    t.args.length === 0 &&
    t.keywords.length === 0 &&
    t.func.kind === 'Attribute' &&
    (t.func.attr === 'upper' || t.func.attr === 'lower')
  ) {
    const entry = entryOf(t.func.value, expr, bound);
    if (entry >= 0) return new CaseForm(entry, t.func.attr === 'upper');
  }
  const arg = callOf(t, 'int');
  if (arg !== null) {
    const entry = entryOf(arg, expr, bound);
    if (entry >= 0) return new IntForm(entry, 1);
    if (arg.kind === 'Bin' && arg.op === '*') {
      for (const [name, factor] of [
        [arg.left, arg.right],
        [arg.right, arg.left],
      ] as const) {
        const e = entryOf(name, expr, bound);
        const k = intLiteral(factor);
        if (e >= 0 && k !== null) return new IntForm(e, k);
      }
    }
  }
  return null;
}

type NumberCmp = '<' | '<=' | '>' | '>=' | '==' | '!=';
const FLIPPED: Record<NumberCmp, NumberCmp> = {
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
  '==': '==',
  '!=': '!=',
};

/** The filter form of `expr` given how its names are bound in a layout, or null. */
export function byteTestOf(expr: Expression, bound: ArrayLike<number>): ByteTest | null {
  const t = expr.tree;
  const bare = entryOf(t, expr, bound);
  if (bare >= 0) return new TruthTest(bare);
  if (t.kind !== 'Compare' || t.ops.length !== 1) return null;
  const op = t.ops[0]!;
  const right = t.comparators[0]!;
  if (op === 'is' || op === 'is not') {
    const entry = entryOf(t.left, expr, bound);
    if (entry >= 0 && right.kind === 'Const' && right.value === null) {
      return new NoneTest(entry, op === 'is');
    }
    return null;
  }
  if (!(op in FLIPPED)) return null;
  const cmp = op as NumberCmp;
  const leftEntry = entryOf(t.left, expr, bound);
  const rightLiteral = intLiteral(right);
  if (leftEntry >= 0 && rightLiteral !== null) return new CompareTest(leftEntry, cmp, rightLiteral);
  const rightEntry = entryOf(right, expr, bound);
  const leftLiteral = intLiteral(t.left);
  if (rightEntry >= 0 && leftLiteral !== null) {
    return new CompareTest(rightEntry, FLIPPED[cmp], leftLiteral);
  }
  return null;
}

/**
 * Whether bytes [start, end) are a JSON string without escapes (its UTF-8 bytes are then the text
 * itself): 0 no, 1 ASCII, 2 with other characters.
 */
function plainString(b: Uint8Array, start: number, end: number): number {
  if (b[start] !== QUOTE || end - start < 2) return 0;
  let high = 0;
  for (let p = start + 1; p < end - 1; p++) {
    const c = b[p]!;
    if (c === BACKSLASH) return 0;
    high |= c;
  }
  return high < 0x80 ? 1 : 2;
}

/**
 * Whether bytes [start, end) are a text a JSON string holds as it is (a string column's text as
 * PostgreSQL sends it, see ByteForm.textNeeds): 0 no (a backslash, which is an escape, a quote, a
 * control character or DEL), TEXT_ASCII, or TEXT_UTF8 with other bytes (which may not be valid
 * UTF-8: the caller checks with isUtf8 when a form takes them). `view` is a DataView of all of `b`.
 */
export function textKind(b: Uint8Array, view: DataView, start: number, end: number): number {
  // Four bytes a step while they are ASCII: a byte below 0x20 or equal to `"`, `\\` or DEL makes
  // its lane's top bit set in one of the sums (bytes below 0x80 carry into no other lane); a word
  // with a byte beyond ASCII, and the last bytes, go through the table.
  let p = start;
  for (; p + 4 <= end; p += 4) {
    const x = view.getInt32(p);
    if ((x & 0x80808080) !== 0) break;
    const quote = x ^ 0x22222222;
    const backslash = x ^ 0x5c5c5c5c;
    const del = x ^ 0x7f7f7f7f;
    const lanes =
      (x - 0x20202020) | (quote - 0x01010101) | (backslash - 0x01010101) | (del - 0x01010101);
    if ((lanes & 0x80808080) !== 0) return 0;
  }
  // One lookup and one `or` a byte, no branch on the byte: about twice as fast as the four
  // comparisons it replaced, for the short texts maps hash (the scan ends at the text's end).
  let seen = 0;
  for (; p < end; p++) seen |= BYTE_CLASS[b[p]!]!;
  return seen & ESCAPED ? 0 : seen & BEYOND_ASCII ? TEXT_UTF8 : TEXT_ASCII;
}

/** A byte JSON writes escaped: a control character, a quote, a backslash, DEL. */
const ESCAPED = 1;
/** A byte of a character beyond ASCII. */
const BEYOND_ASCII = 2;
const BYTE_CLASS = Uint8Array.from({ length: 256 }, (_, c) =>
  c < 0x20 || c === QUOTE || c === BACKSLASH || c === 0x7f ? ESCAPED : c >= 0x80 ? BEYOND_ASCII : 0,
);

/**
 * `md5(x)` / `sha256(x)` of a string: the hex digest of its UTF-8 bytes, which are the JSON bytes
 * between the quotes when nothing is escaped (and they are valid UTF-8, as the general path's
 * decoding would otherwise replace some).
 */
class DigestForm implements ByteForm {
  readonly md5: boolean;

  constructor(
    readonly entry: number,
    private readonly algorithm: 'md5' | 'sha256',
  ) {
    this.md5 = algorithm === 'md5';
  }

  maxBytes(): number {
    return this.algorithm === 'md5' ? 34 : 66;
  }

  takes(buf: Buffer, start: number, end: number): boolean {
    const kind = plainString(buf, start, end);
    return kind === 1 || (kind === 2 && isUtf8(buf.subarray(start + 1, end - 1)));
  }

  write(sink: ByteSink, buf: Buffer, start: number, end: number): void {
    this.writeText(sink, buf, start + 1, end - 1);
  }

  readonly textNeeds = TEXT_UTF8;

  writeText(sink: ByteSink, buf: Buffer, start: number, end: number): void {
    const size = this.algorithm === 'md5' ? 34 : 66;
    if (sink.pos + size > sink.buf.length) sink.reserve(size);
    const out = sink.buf;
    const p = sink.pos;
    out[p] = QUOTE;
    if (this.algorithm === 'md5') {
      md5HexInto(buf, start, end, out, p + 1, viewOf(out));
    } else {
      out.write(nativeHash('sha256', buf.subarray(start, end)), p + 1, 'latin1');
    }
    out[p + size - 1] = QUOTE;
    sink.pos = p + size;
  }

  maxTextBytes(): number {
    return this.maxBytes();
  }
}

/** Each byte with an ASCII letter's case changed: a lookup per byte, with no branch on the byte. */
const caseTable = (from: number) =>
  Uint8Array.from({ length: 256 }, (_, c) => (c >= from && c < from + 26 ? c ^ 0x20 : c));
const TO_UPPER = caseTable(0x61);
const TO_LOWER = caseTable(0x41);

/** Bytes [start, end) of `buf` through `table` into `out` at `p`; returns the end. */
function changeCase(
  table: Uint8Array,
  buf: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  p: number,
): number {
  for (let i = start; i < end; i++) out[p++] = table[buf[i]!]!;
  return p;
}

/**
 * `changeCase` of ASCII bytes, four at a time, to upper case: in a word of bytes below 0x80, adding
 * 0x1f to each byte sets its top bit exactly when the byte is at least `a` (no byte carries into
 * the next), and adding 0x05 when it is past `z`; the letters' 0x20 bit flips. A third of the
 * lookup loop's time for a 12-byte text (V8 checks the bounds of each typed array access in a byte
 * loop). The sums are truncated to 32 bits (`| 0`), or V8 adds in doubles.
 */
function upperAscii(
  from: DataView,
  buf: Uint8Array,
  start: number,
  end: number,
  to: DataView,
  out: Uint8Array,
  p: number,
): number {
  let i = start;
  for (; i + 4 <= end; i += 4, p += 4) {
    const x = from.getInt32(i);
    const letters = ((x + 0x1f1f1f1f) | 0) & ~((x + 0x05050505) | 0) & 0x80808080;
    to.setInt32(p, x ^ (letters >>> 2));
  }
  for (; i < end; i++) out[p++] = TO_UPPER[buf[i]!]!;
  return p;
}

/**
 * upperAscii's twin to lower case: at least `A` (add 0x3f), past `Z` (add 0x25). Twins with their
 * constants written in, not one function given them: passed in, the sums cost about 65 more
 * instructions a 12-byte text (bench/row-map-instructions).
 */
function lowerAscii(
  from: DataView,
  buf: Uint8Array,
  start: number,
  end: number,
  to: DataView,
  out: Uint8Array,
  p: number,
): number {
  let i = start;
  for (; i + 4 <= end; i += 4, p += 4) {
    const x = from.getInt32(i);
    const letters = ((x + 0x3f3f3f3f) | 0) & ~((x + 0x25252525) | 0) & 0x80808080;
    to.setInt32(p, x ^ (letters >>> 2));
  }
  for (; i < end; i++) out[p++] = TO_LOWER[buf[i]!]!;
  return p;
}

/** `x.upper()` / `x.lower()` of an ASCII string: the same bytes with a-z (A-Z) changed. */
class CaseForm implements ByteForm {
  private readonly table: Uint8Array;
  private readonly ascii: typeof upperAscii;

  constructor(
    readonly entry: number,
    upper: boolean,
  ) {
    this.table = upper ? TO_UPPER : TO_LOWER;
    this.ascii = upper ? upperAscii : lowerAscii;
  }

  maxBytes(valueBytes: number): number {
    return valueBytes;
  }

  takes(buf: Buffer, start: number, end: number): boolean {
    return plainString(buf, start, end) === 1;
  }

  write(sink: ByteSink, buf: Buffer, start: number, end: number): void {
    const n = end - start;
    if (sink.pos + n > sink.buf.length) sink.reserve(n);
    sink.pos = changeCase(this.table, buf, start, end, sink.buf, sink.pos);
  }

  readonly textNeeds = TEXT_ASCII;

  writeText(sink: ByteSink, buf: Buffer, start: number, end: number): void {
    const n = end - start + 2;
    if (sink.pos + n > sink.buf.length) sink.reserve(n);
    const out = sink.buf;
    out[sink.pos] = QUOTE;
    const p = changeCase(this.table, buf, start, end, out, sink.pos + 1);
    out[p] = QUOTE;
    sink.pos = p + 1;
  }

  putText(
    from: DataView,
    buf: Buffer,
    start: number,
    end: number,
    to: DataView,
    out: Buffer,
    p: number,
  ): number {
    out[p] = QUOTE;
    const q = this.ascii(from, buf, start, end, to, out, p + 1);
    out[q] = QUOTE;
    return q + 1;
  }

  maxTextBytes(textBytes: number): number {
    return textBytes + 2;
  }
}

/**
 * `int(x)` and `int(x * k)` of a number: Python's int truncates toward zero. With at most 15
 * digits and a product below 2^53 every step is exact in doubles (the Decimal context's 28
 * digits round nothing there).
 */
class IntForm implements ByteForm {
  constructor(
    readonly entry: number,
    private readonly factor: number,
  ) {}

  /** The result for the value `takes` took last. */
  private result = 0;

  maxBytes(): number {
    return 17; // a sign and 16 digits: below 2^53
  }

  takes(buf: Buffer, start: number, end: number): boolean {
    return (
      readNumber(buf, start, end) &&
      this.takesNumber(NUMBER.negative, NUMBER.coefficient, NUMBER.scale)
    );
  }

  takesNumber(negative: boolean, coefficient: number, scale: number): boolean {
    const product = coefficient * this.factor;
    if (product > MAX_SAFE || product < -MAX_SAFE) return false;
    // The floor of the rounded quotient is the exact one: for an integer m below 2^53 and d = 10^k,
    // m / d is at least 1/d below the next integer, more than half a unit in its last place. (`%`
    // of doubles, exact too, is a call into C: it was a third of what this map form cost.)
    const q = Math.floor(Math.abs(product) / POW10[scale]!);
    this.result = negative !== product < 0 && q !== 0 ? -q : q;
    return true;
  }

  write(sink: ByteSink): void {
    putSafeInteger(sink, this.result);
  }
}

/** A bare name as a filter: JSON true, false and null (Python's truth of the others needs their value). */
class TruthTest implements ByteTest {
  constructor(readonly entry: number) {}

  test(buf: Buffer, start: number, end: number): number {
    const n = end - start;
    const c = buf[start];
    if (n === 4 && c === 0x74) return TRUE;
    if ((n === 5 && c === 0x66) || (n === 4 && c === 0x6e)) return FALSE;
    return UNKNOWN;
  }
}

/** `x is None` / `x is not None`: JSON null is None, and nothing else is. */
class NoneTest implements ByteTest {
  constructor(
    readonly entry: number,
    private readonly is: boolean,
  ) {}

  test(buf: Buffer, start: number, end: number): number {
    const none = end - start === 4 && buf[start] === 0x6e;
    return none === this.is ? TRUE : FALSE;
  }
}

/**
 * `x OP k` (or `k OP x`) for a number x and an int literal k: Python compares an int or a Decimal
 * with an int exactly, as the integers ±coefficient and k × 10^scale compare here.
 */
class CompareTest implements ByteTest {
  constructor(
    readonly entry: number,
    private readonly op: NumberCmp,
    private readonly literal: number,
  ) {}

  test(buf: Buffer, start: number, end: number): number {
    if (!readNumber(buf, start, end)) return UNKNOWN;
    return this.testNumber(NUMBER.negative, NUMBER.coefficient, NUMBER.scale);
  }

  testNumber(negative: boolean, coefficient: number, scale: number): number {
    const k = this.literal * POW10[scale]!;
    if (k > MAX_SAFE || k < -MAX_SAFE) return UNKNOWN;
    const x = negative ? -coefficient : coefficient;
    let r: boolean;
    switch (this.op) {
      case '<':
        r = x < k;
        break;
      case '<=':
        r = x <= k;
        break;
      case '>':
        r = x > k;
        break;
      case '>=':
        r = x >= k;
        break;
      case '==':
        r = x === k;
        break;
      default:
        r = x !== k;
    }
    return r ? TRUE : FALSE;
  }
}
