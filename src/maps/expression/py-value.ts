import Decimal from 'decimal.js';
import { ExpressionEvalError, typeError } from './errors';
import {
  decimalCompareInt,
  decimalIsZero,
  decimalParts,
  decimalRepr,
  decimalToString,
  isDecimal,
  pow10,
} from './py-decimal';
import { floatParts, floatRepr } from './py-float';

/**
 * A Python value as the Meltano SDK's map expressions see a JSON record: None=null, bool=boolean,
 * int=bigint, float=number, decimal.Decimal=Decimal, str=string, list=array, tuple=PyTuple,
 * dict=PyDict (str keys, insertion order), and PyObject for functions, modules and `datetime` values.
 */
export type PyValue =
  null | boolean | bigint | number | Decimal | string | PyValue[] | PyTuple | PyDict | PyObject;
export type PyDict = Map<string, PyValue>;

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export type PyKwargs = ReadonlyMap<string, PyValue> | null;

/** Objects that are not plain data: callables, modules, classes and `datetime` values. */
export abstract class PyObject {
  abstract readonly typeName: string;
  abstract repr(): string;
  str(): string {
    return this.repr();
  }
  /** Attribute (not method) access; undefined = AttributeError. */
  getAttr(_name: string): PyValue | undefined {
    return undefined;
  }
  /** undefined = not comparable with other (TypeError for ordering, False for ==). */
  compare(_other: PyValue): number | undefined {
    return undefined;
  }
  equals(other: PyValue): boolean {
    return this === other;
  }
  truthy(): boolean {
    return true;
  }
}

export type PyFunctionImpl = (args: readonly PyValue[], kwargs: PyKwargs) => PyValue;

export class PyCallable extends PyObject {
  constructor(
    readonly name: string,
    readonly call: PyFunctionImpl,
    readonly typeName: string = 'builtin_function_or_method',
    private readonly attributes: ReadonlyMap<string, PyValue> | null = null,
    /**
     * `call([x], null)` without the argument list, when the function has a cheaper way to take
     * one positional argument (what `md5(v)` or `int(v)` in a map do per record); else null.
     */
    readonly call1: ((x: PyValue) => PyValue) | null = null,
  ) {
    super();
  }
  override getAttr(name: string): PyValue | undefined {
    return this.attributes?.get(name);
  }
  repr(): string {
    return this.typeName === 'type' ? `<class '${this.name}'>` : `<built-in function ${this.name}>`;
  }
}

export function pyTypeName(value: PyValue): string {
  if (value === null) return 'NoneType';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'str';
  }
  if (Array.isArray(value)) return 'list';
  if (value instanceof Map) return 'dict';
  if (value instanceof PyTuple) return 'tuple';
  if (isDecimal(value)) return 'decimal.Decimal';
  return (value as PyObject).typeName;
}

/** The class name as Python's messages spell it (its tp_name: 'decimal.Decimal', 'datetime.date'). */
export function pyShortTypeName(value: PyValue): string {
  return pyTypeName(value);
}

export function pyTruthy(value: PyValue): boolean {
  if (value === null) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'bigint':
      return value !== 0n;
    case 'number':
      return value !== 0; // NaN is truthy in Python, and NaN !== 0
    case 'string':
      return value.length > 0;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  if (value instanceof PyTuple) return value.items.length > 0;
  if (isDecimal(value)) return !decimalIsZero(value);
  return (value as PyObject).truthy();
}

// ---- strings: Python indexes code points, JavaScript UTF-16 units -------------------------------

const SURROGATE = /[\uD800-\uDFFF]/;

export function hasSurrogates(s: string): boolean {
  return SURROGATE.test(s);
}

export function codePoints(s: string): string[] {
  return Array.from(s);
}

export function pyLen(s: string): number {
  if (!hasSurrogates(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Python's ordering of strings (by code point; UTF-16 order differs above the surrogates). */
export function compareStrings(a: string, b: string): number {
  if (!hasSurrogates(a) && !hasSurrogates(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = codePoints(a);
  const y = codePoints(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const c = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (c !== 0) return c < 0 ? -1 : 1;
  }
  return x.length - y.length < 0 ? -1 : x.length === y.length ? 0 : 1;
}

/**
 * Python (3.11 on) refuses to turn an int of more than 4300 digits into text, so `str()`, f-strings
 * and `json.dumps` of one raise ValueError there; expressions behave the same.
 */
export const MAX_INT_DIGITS = 4300;

export function intToString(n: bigint): string {
  const text = n.toString();
  if (text.length - (n < 0n ? 1 : 0) > MAX_INT_DIGITS) {
    throw new ExpressionEvalError(
      'ValueError',
      `Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit`,
    );
  }
  return text;
}

// ---- repr / str --------------------------------------------------------------------------------

const NON_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}\p{Zs}]/u;

export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x7f || ch === ' ') out += ch;
    else if (NON_PRINTABLE.test(ch)) {
      if (cp <= 0xff) out += '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp <= 0xffff) out += '\\u' + cp.toString(16).padStart(4, '0');
      else out += '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + quote;
}

export function pyRepr(value: PyValue): string {
  if (value === null) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'bigint':
      return intToString(value);
    case 'number':
      return floatRepr(value);
    case 'string':
      return strRepr(value);
  }
  if (Array.isArray(value)) return '[' + value.map(pyRepr).join(', ') + ']';
  if (value instanceof PyTuple) {
    const items = value.items;
    return items.length === 1
      ? `(${pyRepr(items[0]!)},)`
      : '(' + items.map(pyRepr).join(', ') + ')';
  }
  if (value instanceof Map) {
    const parts: string[] = [];
    for (const [k, v] of value) parts.push(`${strRepr(k)}: ${pyRepr(v)}`);
    return '{' + parts.join(', ') + '}';
  }
  if (isDecimal(value)) return decimalRepr(value);
  return (value as PyObject).repr();
}

export function pyStr(value: PyValue): string {
  if (typeof value === 'string') return value;
  if (isDecimal(value)) return decimalToString(value);
  if (value instanceof PyObject) return value.str();
  return pyRepr(value);
}

// ---- numbers -----------------------------------------------------------------------------------

export function isNumeric(value: PyValue): value is boolean | bigint | number | Decimal {
  const t = typeof value;
  return t === 'bigint' || t === 'number' || t === 'boolean' || isDecimal(value);
}

/** An exact rational for a finite int, float or Decimal: num / den with den > 0. */
function toRational(value: boolean | bigint | number | Decimal): { num: bigint; den: bigint } {
  if (typeof value === 'boolean') return { num: value ? 1n : 0n, den: 1n };
  if (typeof value === 'bigint') return { num: value, den: 1n };
  if (typeof value === 'number') {
    const { mantissa, exponent } = floatParts(value);
    return exponent >= 0
      ? { num: mantissa << BigInt(exponent), den: 1n }
      : { num: mantissa, den: 1n << BigInt(-exponent) };
  }
  const p = decimalParts(value);
  const c = p.negative ? -p.coefficient : p.coefficient;
  return p.exponent >= 0
    ? { num: c * pow10(p.exponent), den: 1n }
    : { num: c, den: pow10(-p.exponent) };
}

/** Exact numeric comparison across int, float, Decimal and bool; NaN gives NaN. */
export function compareNumbers(
  a: boolean | bigint | number | Decimal,
  b: boolean | bigint | number | Decimal,
): number {
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'bigint' || ta === 'number') && (tb === 'bigint' || tb === 'number')) {
    // JavaScript compares bigint with number by exact mathematical value.
    const x = a as bigint | number;
    const y = b as bigint | number;
    if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  // A Decimal against an int or another Decimal (a filter's `amount >= 0`): on the coefficients.
  if (tb === 'bigint' && isDecimal(a)) return decimalCompareInt(a, b as bigint);
  if (ta === 'bigint' && isDecimal(b)) return -decimalCompareInt(b, a as bigint);
  if (typeof a === 'number' && !Number.isFinite(a)) return Number.isNaN(a) ? NaN : a > 0 ? 1 : -1;
  if (typeof b === 'number' && !Number.isFinite(b)) return Number.isNaN(b) ? NaN : b > 0 ? -1 : 1;
  const x = toRational(a);
  const y = toRational(b);
  const l = x.num * y.den;
  const r = y.num * x.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

// ---- equality and ordering ---------------------------------------------------------------------

export function pyEquals(a: PyValue, b: PyValue): boolean {
  if (a === b) return typeof a !== 'number' || !Number.isNaN(a);
  if (a === null || b === null) return false;
  if (typeof a === 'string' || typeof b === 'string') return false;
  if (isNumeric(a)) return isNumeric(b) && compareNumbers(a, b) === 0;
  if (Array.isArray(a)) return Array.isArray(b) && sequenceEquals(a, b);
  if (a instanceof PyTuple) return b instanceof PyTuple && sequenceEquals(a.items, b.items);
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (!b.has(k)) return false;
      const w = b.get(k)!;
      if (v !== w && !pyEquals(v, w)) return false;
    }
    return true;
  }
  if (a instanceof PyObject) return a.equals(b);
  return false;
}

function sequenceEquals(a: readonly PyValue[], b: readonly PyValue[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    // Python compares container items by identity first, so a NaN equals itself inside a list.
    if (a[i] !== b[i] && !pyEquals(a[i]!, b[i]!)) return false;
  }
  return true;
}

export type CompareOp = '<' | '<=' | '>' | '>=';

function notSupported(op: CompareOp, a: PyValue, b: PyValue): ExpressionEvalError {
  return typeError(
    `'${op}' not supported between instances of '${pyShortTypeName(a)}' and '${pyShortTypeName(b)}'`,
  );
}

/** Three-way order as Python's rich comparisons define it; NaN when unordered (NaN involved). */
export function pyOrder(op: CompareOp, a: PyValue, b: PyValue): number {
  if (typeof a === 'string') {
    if (typeof b === 'string') return compareStrings(a, b);
    throw notSupported(op, a, b);
  }
  if (a !== null && isNumeric(a)) {
    if (b !== null && isNumeric(b)) return compareNumbers(a, b);
    throw notSupported(op, a, b);
  }
  if (Array.isArray(a)) {
    if (Array.isArray(b)) return sequenceOrder(op, a, b);
    throw notSupported(op, a, b);
  }
  if (a instanceof PyTuple) {
    if (b instanceof PyTuple) return sequenceOrder(op, a.items, b.items);
    throw notSupported(op, a, b);
  }
  if (a instanceof PyObject) {
    const c = a.compare(b);
    if (c !== undefined) return c;
  }
  throw notSupported(op, a, b);
}

function sequenceOrder(op: CompareOp, a: readonly PyValue[], b: readonly PyValue[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i] || pyEquals(a[i]!, b[i]!)) continue;
    return pyOrder(op, a[i]!, b[i]!);
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

export function pyCompare(op: CompareOp, a: PyValue, b: PyValue): boolean {
  const c = pyOrder(op, a, b);
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

/** Dict keys: this implementation keeps Python's semantics for str keys only. */
export function dictKey(key: PyValue): string | undefined {
  if (typeof key === 'string') return key;
  if (Array.isArray(key) || key instanceof Map)
    throw typeError(`unhashable type: '${pyTypeName(key)}'`);
  return undefined;
}
