import type Decimal from 'decimal.js';
import type { BinOp } from './ast';
import { ExpressionEvalError, typeError, unsupported, valueError } from './errors';
import {
  decimalAdd,
  decimalDiv,
  decimalDivMod,
  decimalFromInt,
  decimalMul,
  decimalNegate,
  decimalPlus,
  decimalPowInt,
  decimalParts,
  decimalToInt,
  pow10,
  isDecimal,
} from './py-decimal';
import { floatFloorDiv, floatMod, floatPow, intToFloat, intTrueDivide } from './py-float';
import {
  codePoints,
  dictKey,
  hasSurrogates,
  pyEquals,
  pyRepr,
  PyObject,
  pyShortTypeName,
  PyTuple,
  type PyValue,
} from './py-value';

/** Limits that keep one expression from exhausting memory, as simpleeval's safe_* operators do. */
export const MAX_STRING_LENGTH = 100000;
const MAX_POWER = 4000000n;
const MAX_SHIFT = 10000n;

type Num = bigint | number | Decimal;

/** bool behaves as int in arithmetic. */
function asNumber(v: PyValue): Num | undefined {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (isDecimal(v)) return v;
  return undefined;
}

function unsupportedOperands(op: string, a: PyValue, b: PyValue): ExpressionEvalError {
  return typeError(
    `unsupported operand type(s) for ${op}: '${pyShortTypeName(a)}' and '${pyShortTypeName(b)}'`,
  );
}

export function binaryOp(op: BinOp, a: PyValue, b: PyValue): PyValue {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) {
    if (op === '&' || op === '|' || op === '^') {
      if (typeof a === 'boolean' && typeof b === 'boolean') {
        return op === '&' ? a && b : op === '|' ? a || b : a !== b;
      }
    }
    return numericOp(op, x, y, a, b);
  }
  switch (op) {
    case '+':
      return add(a, b);
    case '*':
      if (typeof x === 'bigint' && isSequence(b)) return repeat(b, x, a, b);
      if (typeof y === 'bigint' && isSequence(a)) return repeat(a, y, a, b);
      if (isSequence(a) || isSequence(b)) {
        const other = isSequence(a) ? b : a;
        throw typeError(`can't multiply sequence by non-int of type '${pyShortTypeName(other)}'`);
      }
      break;
    case '%':
      if (typeof a === 'string') throw unsupported('printf-style string formatting (str % value)');
      break;
    case '|':
      if (a instanceof Map && b instanceof Map) {
        const merged = new Map(a);
        for (const [k, v] of b) merged.set(k, v);
        return merged;
      }
      break;
    case '-':
      if (a instanceof PyObject) {
        const r = objectArithmetic(a, '-', b);
        if (r !== undefined) return r;
      }
      break;
  }
  throw unsupportedOperands(op === '**' ? '** or pow()' : op, a, b);
}

/** datetime values implement + and - through this hook. */
export interface ArithmeticObject {
  arithmetic(op: '+' | '-', other: PyValue, reflected: boolean): PyValue | undefined;
}

function objectArithmetic(obj: PyObject, op: '+' | '-', other: PyValue): PyValue | undefined {
  const maybe = obj as PyObject & Partial<ArithmeticObject>;
  return maybe.arithmetic?.(op, other, false);
}

function isSequence(v: PyValue): boolean {
  return typeof v === 'string' || Array.isArray(v) || v instanceof PyTuple;
}

function add(a: PyValue, b: PyValue): PyValue {
  if (typeof a === 'string') {
    if (typeof b !== 'string')
      throw typeError(`can only concatenate str (not "${pyShortTypeName(b)}") to str`);
    if (a.length + b.length > MAX_STRING_LENGTH) throw tooLong();
    return a + b;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b))
      throw typeError(`can only concatenate list (not "${pyShortTypeName(b)}") to list`);
    if (a.length + b.length > MAX_STRING_LENGTH) throw tooLong();
    return a.concat(b);
  }
  if (a instanceof PyTuple) {
    if (!(b instanceof PyTuple))
      throw typeError(`can only concatenate tuple (not "${pyShortTypeName(b)}") to tuple`);
    if (a.items.length + b.items.length > MAX_STRING_LENGTH) throw tooLong();
    return new PyTuple(a.items.concat(b.items));
  }
  if (a instanceof PyObject || b instanceof PyObject) {
    const r = a instanceof PyObject ? objectArithmetic(a, '+', b) : undefined;
    if (r !== undefined) return r;
    const maybe = b as PyObject & Partial<ArithmeticObject>;
    const s = b instanceof PyObject ? maybe.arithmetic?.('+', a, true) : undefined;
    if (s !== undefined) return s;
  }
  throw unsupportedOperands('+', a, b);
}

function tooLong(): ExpressionEvalError {
  return new ExpressionEvalError(
    'IterableTooLong',
    'Sorry, I will not evaluate something that long.',
  );
}

const INDEX_MIN = -(2n ** 63n);
const INDEX_MAX = 2n ** 63n - 1n;

function repeat(seq: PyValue, n: bigint, a: PyValue, b: PyValue): PyValue {
  if (n < INDEX_MIN || n > INDEX_MAX)
    throw new ExpressionEvalError('OverflowError', "cannot fit 'int' into an index-sized integer");
  const times = n < 0n ? 0 : n;
  if (typeof seq === 'string') {
    if (BigInt(seq.length) * BigInt(times) > BigInt(MAX_STRING_LENGTH)) throw tooLong();
    return seq.repeat(Number(times));
  }
  const items = Array.isArray(seq) ? seq : seq instanceof PyTuple ? seq.items : undefined;
  if (items === undefined) throw unsupportedOperands('*', a, b);
  if (BigInt(items.length) * BigInt(times) > BigInt(MAX_STRING_LENGTH)) throw tooLong();
  const out: PyValue[] = [];
  // An empty sequence repeats to itself however large `times` is.
  if (items.length > 0) for (let i = 0n; i < times; i++) out.push(...items);
  return Array.isArray(seq) ? out : new PyTuple(out);
}

/**
 * The int operand of Decimal arithmetic as a Decimal: the last one is kept, as a map's is most often
 * a constant (`amount * 100`). Only the operation sees it, so sharing it is safe (Decimals are
 * immutable).
 */
let lastInt = 0n;
let lastIntDecimal = decimalFromInt(0n);
function intAsDecimal(n: bigint): Decimal {
  if (n !== lastInt) {
    lastIntDecimal = decimalFromInt(n);
    lastInt = n;
  }
  return lastIntDecimal;
}

function numericOp(op: BinOp, x: Num, y: Num, a: PyValue, b: PyValue): PyValue {
  if (typeof x === 'bigint' && typeof y === 'bigint') return intOp(op, x, y);
  if (isDecimal(x) || isDecimal(y)) {
    if (typeof x === 'number' || typeof y === 'number')
      throw unsupportedOperands(op === '**' ? '** or pow()' : op, a, b);
    return decimalOp(
      op,
      isDecimal(x) ? x : intAsDecimal(x as bigint),
      isDecimal(y) ? y : intAsDecimal(y as bigint),
      a,
      b,
    );
  }
  const f = typeof x === 'bigint' ? intToFloat(x) : (x as number);
  const g = typeof y === 'bigint' ? intToFloat(y) : (y as number);
  switch (op) {
    case '+':
      return f + g;
    case '-':
      return f - g;
    case '*':
      return f * g;
    case '/':
      if (g === 0) throw new ExpressionEvalError('ZeroDivisionError', 'float division by zero');
      return f / g;
    case '//':
      return floatFloorDiv(f, g);
    case '%':
      return floatMod(f, g);
    case '**':
      return floatPow(f, g);
    default:
      throw unsupportedOperands(op, a, b);
  }
}

function intOp(op: BinOp, x: bigint, y: bigint): PyValue {
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return intTrueDivide(x, y);
    case '//': {
      if (y === 0n)
        throw new ExpressionEvalError('ZeroDivisionError', 'integer division or modulo by zero');
      const q = x / y;
      return x % y !== 0n && x < 0n !== y < 0n ? q - 1n : q;
    }
    case '%': {
      if (y === 0n) throw new ExpressionEvalError('ZeroDivisionError', 'integer modulo by zero');
      const r = x % y;
      return r !== 0n && r < 0n !== y < 0n ? r + y : r;
    }
    case '**':
      if (y < 0n) {
        if (x === 0n)
          throw new ExpressionEvalError(
            'ZeroDivisionError',
            '0.0 cannot be raised to a negative power',
          );
        return floatPow(intToFloat(x), Number(y));
      }
      if ((x < 0n ? -x : x) > MAX_POWER || y > MAX_POWER) {
        throw new ExpressionEvalError(
          'NumberTooHigh',
          `Sorry! I don't want to evaluate ${x} ** ${y}`,
        );
      }
      if (x !== 0n && x !== 1n && x !== -1n && BigInt(x.toString(2).length) * y > 10000000n) {
        throw new ExpressionEvalError(
          'NumberTooHigh',
          `Sorry! I don't want to evaluate ${x} ** ${y}`,
        );
      }
      return x ** y;
    case '<<':
    case '>>':
      if (y < 0n) throw valueError('negative shift count');
      if (y > MAX_SHIFT)
        throw new ExpressionEvalError(
          'NumberTooHigh',
          `Sorry! I don't want to evaluate ${x} ${op} ${y}`,
        );
      return op === '<<' ? x << y : x >> y;
    case '&':
      return x & y;
    case '|':
      return x | y;
    case '^':
      return x ^ y;
  }
}

function decimalOp(op: BinOp, x: Decimal, y: Decimal, a: PyValue, b: PyValue): PyValue {
  switch (op) {
    case '+':
      return decimalAdd(x, y);
    case '-':
      return decimalAdd(x, y, true);
    case '*':
      return decimalMul(x, y);
    case '/':
      return decimalDiv(x, y);
    case '//':
      return decimalDivMod(x, y, false)[0];
    case '%':
      return decimalDivMod(x, y, true)[1];
    case '**':
      if (typeof b === 'bigint' || typeof b === 'boolean')
        return decimalPowInt(x, typeof b === 'bigint' ? b : b ? 1n : 0n);
      if (isDecimal(b)) {
        // An integral Decimal exponent is an integer power; a fractional one needs ln/exp.
        const e = decimalParts(b);
        if (e.exponent >= 0 || e.coefficient % pow10(-e.exponent) === 0n) {
          const n = decimalToInt(b);
          return decimalPowInt(x, n);
        }
      }
      throw unsupported('Decimal ** a Decimal with a fraction');
    default:
      throw unsupportedOperands(op, a, b);
  }
}

export function unaryOp(op: '-' | '+' | '~', v: PyValue): PyValue {
  const n = asNumber(v);
  if (n !== undefined) {
    if (op === '~') {
      if (typeof n === 'bigint') return ~n;
    } else if (typeof n === 'bigint') {
      return op === '-' ? -n : n;
    } else if (typeof n === 'number') {
      return op === '-' ? -n : n;
    } else {
      return op === '-' ? decimalNegate(n) : decimalPlus(n);
    }
  }
  throw typeError(`bad operand type for unary ${op}: '${pyShortTypeName(v)}'`);
}

export function contains(container: PyValue, item: PyValue): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string')
      throw typeError(
        `'in <string>' requires string as left operand, not ${pyShortTypeName(item)}`,
      );
    return container.includes(item);
  }
  if (Array.isArray(container) || container instanceof PyTuple) {
    const items = Array.isArray(container) ? container : container.items;
    for (const x of items) if (x === item || pyEquals(x, item)) return true;
    return false;
  }
  if (container instanceof Map) {
    const key = dictKey(item);
    return key !== undefined && container.has(key);
  }
  throw typeError(`argument of type '${pyShortTypeName(container)}' is not iterable`);
}

/** Python's `is`: identity for None, bools and containers; equal primitives count as identical. */
export function isSame(a: PyValue, b: PyValue): boolean {
  return a === b;
}

// ---- subscripts ---------------------------------------------------------------------------------

export class PySlice {
  constructor(
    readonly start: PyValue,
    readonly stop: PyValue,
    readonly step: PyValue,
  ) {}
}

function indexInt(v: PyValue, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw typeError(what);
}

/** Python's slice.indices(length) followed by the index sequence. */
function sliceIndices(
  s: PySlice,
  length: number,
): { start: number; stop: number; step: number; count: number } {
  const msg = 'slice indices must be integers or None or have an __index__ method';
  let step = 1;
  if (s.step !== null) {
    const st = indexInt(s.step, msg);
    if (st === 0n) throw valueError('slice step cannot be zero');
    step = Number(st);
  }
  const len = BigInt(length);
  const clamp = (v: PyValue, dflt: number): number => {
    if (v === null) return dflt;
    let i = indexInt(v, msg);
    if (i < 0n) {
      i += len;
      if (i < 0n) return step < 0 ? -1 : 0;
    } else if (i >= len) {
      return step < 0 ? length - 1 : length;
    }
    return Number(i);
  };
  const start = clamp(s.start, step < 0 ? length - 1 : 0);
  const stop = clamp(s.stop, step < 0 ? -1 : length);
  let count = 0;
  if (step < 0) {
    if (stop < start) count = Math.floor((start - stop - 1) / -step) + 1;
  } else if (start < stop) {
    count = Math.floor((stop - start - 1) / step) + 1;
  }
  return { start, stop, step, count };
}

function sliceArray<T>(items: readonly T[], s: PySlice): T[] {
  const { start, step, count } = sliceIndices(s, items.length);
  if (step === 1) return items.slice(start, start + count);
  const out: T[] = [];
  for (let i = 0, j = start; i < count; i++, j += step) out.push(items[j]!);
  return out;
}

function normalizeIndex(index: bigint, length: number, kind: string): number {
  const i = index < 0n ? index + BigInt(length) : index;
  if (i < 0n || i >= BigInt(length))
    throw new ExpressionEvalError('IndexError', `${kind} index out of range`);
  return Number(i);
}

export function subscript(container: PyValue, key: PyValue): PyValue {
  if (container instanceof Map) {
    const k = dictKey(key);
    const v = k === undefined ? undefined : container.get(k);
    if (v === undefined) throw new ExpressionEvalError('KeyError', pyRepr(key));
    return v;
  }
  if (typeof container === 'string') {
    if (key instanceof PySlice) {
      if (!hasSurrogates(container)) {
        const { start, step, count } = sliceIndices(key, container.length);
        if (step === 1) return container.slice(start, start + count);
      }
      return sliceArray(codePoints(container), key).join('');
    }
    if (typeof key !== 'bigint' && typeof key !== 'boolean') {
      throw typeError(`string indices must be integers, not '${pyShortTypeName(key)}'`);
    }
    const k = indexInt(key, '');
    if (!hasSurrogates(container)) return container[normalizeIndex(k, container.length, 'string')]!;
    const cps = codePoints(container);
    return cps[normalizeIndex(k, cps.length, 'string')]!;
  }
  if (Array.isArray(container) || container instanceof PyTuple) {
    const items = Array.isArray(container) ? container : container.items;
    const kind = Array.isArray(container) ? 'list' : 'tuple';
    if (key instanceof PySlice) {
      const sliced = sliceArray(items, key);
      return Array.isArray(container) ? sliced : new PyTuple(sliced);
    }
    if (typeof key !== 'bigint' && typeof key !== 'boolean') {
      throw typeError(`${kind} indices must be integers or slices, not ${pyShortTypeName(key)}`);
    }
    return items[normalizeIndex(indexInt(key, ''), items.length, kind)]!;
  }
  throw typeError(`'${pyShortTypeName(container)}' object is not subscriptable`);
}

/** The items a `for` or list() sees: str yields characters, dict its keys. */
export function iterate(v: PyValue): readonly PyValue[] {
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple) return v.items;
  if (typeof v === 'string') return hasSurrogates(v) ? codePoints(v) : v.split('');
  if (v instanceof Map) return Array.from(v.keys());
  throw typeError(`'${pyShortTypeName(v)}' object is not iterable`);
}
