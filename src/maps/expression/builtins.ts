import { ExpressionEvalError, typeError, unsupported, valueError } from './errors';
import { md5Hex, nativeHash } from './md5';
import { decimalToFloat, decimalToInt, isDecimal } from './py-decimal';
import { intToFloat } from './py-float';
import { iterate } from './operators';
import {
  MAX_INT_DIGITS,
  dictKey,
  PyCallable,
  pyLen,
  PyObject,
  pyShortTypeName,
  pyStr,
  pyTruthy,
  strRepr,
  PyTuple,
  type PyKwargs,
  type PyValue,
} from './py-value';
import { jsonModule } from './json-module';
import { datetimeModule } from './datetime-module';

export function argCount(
  name: string,
  args: readonly PyValue[],
  kwargs: PyKwargs,
  min: number,
  max: number,
): void {
  if (kwargs !== null && kwargs.size > 0) throw typeError(`${name}() takes no keyword arguments`);
  if (args.length < min || args.length > max) {
    if (min === max)
      throw typeError(
        `${name}() takes exactly ${min === 1 ? 'one argument' : `${min} arguments`} (${args.length} given)`,
      );
    throw typeError(
      `${name}() takes at most ${max} argument${max === 1 ? '' : 's'} (${args.length} given)`,
    );
  }
}

// Python's whitespace includes the information separators U+001C..U+001F.
// eslint-disable-next-line no-control-regex
const PY_WHITESPACE = /^[\s\u001c-\u001f\u0085]+|[\s\u001c-\u001f\u0085]+$/gu;

export function pyStripWhitespace(s: string): string {
  return s.replace(PY_WHITESPACE, '');
}

const ND = /\p{Nd}/u;

/** Python reads any Unicode decimal digit as its value ('٣' is 3); digits come in runs of ten. */
export function asciiDigits(s: string): string {
  if (/^[\x20-\x7e]*$/.test(s)) return s;
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0x7f && ND.test(ch)) {
      let start = cp;
      while (ND.test(String.fromCodePoint(start - 1))) start--;
      out += String((cp - start) % 10);
    } else out += ch;
  }
  return out;
}

const PLAIN_INT = /^[+-]?\d+$/;

function parseIntText(text: string, base: number): bigint | undefined {
  let s = asciiDigits(pyStripWhitespace(text));
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  let b = base;
  const prefix = /^0([xXoObB])/.exec(s);
  if (prefix !== null) {
    const p = prefix[1]!.toLowerCase();
    const pb = p === 'x' ? 16 : p === 'o' ? 8 : 2;
    if (b === 0 || b === pb) {
      b = pb;
      s = s.slice(2);
      if (s.startsWith('_')) s = s.slice(1);
    }
  }
  if (b === 0) {
    if (/^0+(_?0)*$/.test(s)) return 0n;
    if (s.startsWith('0')) return undefined;
    b = 10;
  }
  if (s === '' || s.startsWith('_') || s.endsWith('_') || s.includes('__')) return undefined;
  s = s.replace(/_/g, '');
  if (s.length > MAX_INT_DIGITS && (b & (b - 1)) !== 0) {
    throw valueError(
      `Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion: value has ${s.length} digits; use sys.set_int_max_str_digits() to increase the limit`,
    );
  }
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, b);
  const lower = s.toLowerCase();
  for (const ch of lower) if (!digits.includes(ch)) return undefined;
  let n = 0n;
  const bb = BigInt(b);
  if (b === 10) n = BigInt(lower);
  else for (const ch of lower) n = n * bb + BigInt(digits.indexOf(ch));
  return negative ? -n : n;
}

export function pyInt(args: readonly PyValue[], kwargs: PyKwargs): PyValue {
  let base: PyValue = null;
  const extra = kwargs?.get('base');
  if (kwargs !== null)
    for (const k of kwargs.keys())
      if (k !== 'base') throw typeError(`'${k}' is an invalid keyword argument for int()`);
  if (args.length > 2) throw typeError(`int() takes at most 2 arguments (${args.length} given)`);
  if (args.length === 2) base = args[1]!;
  if (extra !== undefined) base = extra;
  if (args.length === 0) {
    if (base !== null) throw typeError('int() missing string argument');
    return 0n;
  }
  const x = args[0]!;
  if (base === null) return intOf(x);
  if (typeof base !== 'bigint' && typeof base !== 'boolean')
    throw typeError(`'${pyShortTypeName(base)}' object cannot be interpreted as an integer`);
  const b = Number(base);
  if (b !== 0 && (b < 2 || b > 36)) throw valueError('int() base must be >= 2 and <= 36, or 0');
  if (typeof x !== 'string') throw typeError("int() can't convert non-string with explicit base");
  const n = parseIntText(x, b);
  if (n === undefined) throw valueError(`invalid literal for int() with base ${b}: ${strRepr(x)}`);
  return n;
}

/** `int(x)`, one argument and no base. */
function intOf(x: PyValue): PyValue {
  if (typeof x === 'bigint') return x;
  if (typeof x === 'boolean') return x ? 1n : 0n;
  if (typeof x === 'number') {
    if (Number.isNaN(x)) throw valueError('cannot convert float NaN to integer');
    if (!Number.isFinite(x))
      throw new ExpressionEvalError('OverflowError', 'cannot convert float infinity to integer');
    return BigInt(Math.trunc(x));
  }
  if (isDecimal(x)) return decimalToInt(x);
  if (typeof x === 'string') {
    if (x.length <= 300 && PLAIN_INT.test(x)) return BigInt(x);
    const n = parseIntText(x, 10);
    if (n === undefined) throw valueError(`invalid literal for int() with base 10: ${strRepr(x)}`);
    return n;
  }
  throw typeError(
    `int() argument must be a string, a bytes-like object or a real number, not '${pyShortTypeName(x)}'`,
  );
}

const FLOAT_TEXT =
  /^[+-]?(?:(?:\d(?:_?\d)*)?\.?\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.(?:[eE][+-]?\d(?:_?\d)*)?|inf|infinity|nan)$/i;

export function pyFloat(args: readonly PyValue[], kwargs: PyKwargs): PyValue {
  argCount('float', args, kwargs, 0, 1);
  return args.length === 0 ? 0 : floatOf(args[0]!);
}

/** `float(x)`, one argument. */
function floatOf(x: PyValue): PyValue {
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return intToFloat(x);
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (isDecimal(x)) return decimalToFloat(x);
  if (typeof x === 'string') {
    const s = asciiDigits(pyStripWhitespace(x));
    if (!FLOAT_TEXT.test(s) || /\d\.\d*_|_\./.test(s))
      throw valueError(`could not convert string to float: ${strRepr(x)}`);
    const lower = s.toLowerCase().replace(/_/g, '');
    const body = lower.replace(/^[+-]/, '');
    const negative = lower.startsWith('-');
    if (body === 'inf' || body === 'infinity') return negative ? -Infinity : Infinity;
    if (body === 'nan') return NaN;
    return Number(lower);
  }
  throw typeError(
    `float() argument must be a string or a real number, not '${pyShortTypeName(x)}'`,
  );
}

export function pyLenOf(x: PyValue): bigint {
  if (typeof x === 'string') return BigInt(pyLen(x));
  if (Array.isArray(x)) return BigInt(x.length);
  if (x instanceof PyTuple) return BigInt(x.items.length);
  if (x instanceof Map) return BigInt(x.size);
  throw typeError(`object of type '${pyShortTypeName(x)}' has no len()`);
}

function digest(algorithm: 'md5' | 'sha256'): PyCallable {
  const of = (s: PyValue): PyValue => {
    // The SDK calls `string.encode("utf-8")`, so anything but a str fails the way that does.
    if (typeof s !== 'string')
      throw new ExpressionEvalError(
        'AttributeError',
        `'${pyShortTypeName(s)}' object has no attribute 'encode'`,
      );
    return algorithm === 'md5' ? md5Hex(s) : nativeHash(algorithm, s);
  };
  return new PyCallable(
    algorithm,
    (args, kwargs) => {
      argCount(algorithm, args, kwargs, 1, 1);
      return of(args[0]!);
    },
    undefined,
    null,
    of,
  );
}

function dictFrom(args: readonly PyValue[], kwargs: PyKwargs): PyValue {
  if (args.length > 1) throw typeError(`dict expected at most 1 argument, got ${args.length}`);
  const out = new Map<string, PyValue>();
  if (args.length === 1) {
    const src = args[0]!;
    if (src instanceof Map) {
      for (const [k, v] of src) out.set(k, v);
    } else {
      const items = iterate(src);
      items.forEach((item, i) => {
        const pair = Array.isArray(item)
          ? item
          : item instanceof PyTuple
            ? item.items
            : typeof item === 'string'
              ? Array.from(item)
              : null;
        if (pair === null)
          throw typeError(`cannot convert dictionary update sequence element #${i} to a sequence`);
        if (pair.length !== 2)
          throw valueError(
            `dictionary update sequence element #${i} has length ${pair.length}; 2 is required`,
          );
        out.set(requireStrKey(pair[0]!), pair[1]!);
      });
    }
  }
  if (kwargs !== null) for (const [k, v] of kwargs) out.set(k, v);
  return out;
}

export function requireStrKey(key: PyValue): string {
  const k = dictKey(key);
  if (k === undefined)
    throw unsupported(`a dict key of type '${pyShortTypeName(key)}' (only str keys are)`);
  return k;
}

const random = (): number => Math.random();

/** The functions the Meltano SDK gives expressions, plus `len` (an extension users asked for). */
export const BUILTINS: ReadonlyMap<string, PyValue> = new Map<string, PyValue>([
  ['int', new PyCallable('int', pyInt, 'type', null, intOf)],
  ['float', new PyCallable('float', pyFloat, 'type', null, floatOf)],
  [
    'str',
    new PyCallable(
      'str',
      (args, kwargs) => {
        argCount('str', args, kwargs, 0, 1);
        return args.length === 0 ? '' : pyStr(args[0]!);
      },
      'type',
      null,
      pyStr,
    ),
  ],
  [
    'bool',
    new PyCallable(
      'bool',
      (args, kwargs) => {
        argCount('bool', args, kwargs, 0, 1);
        return args.length === 0 ? false : pyTruthy(args[0]!);
      },
      'type',
      null,
      pyTruthy,
    ),
  ],
  // Not in the Meltano SDK's set: an extension, since measuring a string or list is common.
  [
    'len',
    new PyCallable(
      'len',
      (args, kwargs) => {
        argCount('len', args, kwargs, 1, 1);
        return pyLenOf(args[0]!);
      },
      undefined,
      null,
      pyLenOf,
    ),
  ],
  ['md5', digest('md5')],
  ['sha256', digest('sha256')],
  [
    'rand',
    new PyCallable('rand', (args, kwargs) => {
      argCount('random', args, kwargs, 0, 0);
      return random();
    }),
  ],
  [
    'randint',
    new PyCallable('randint', (args, kwargs) => {
      argCount('random_int', args, kwargs, 1, 1);
      return pyInt([numberTimes(random(), args[0]!)], null);
    }),
  ],
  [
    'list',
    new PyCallable(
      'list',
      (args, kwargs) => {
        argCount('list', args, kwargs, 0, 1);
        return args.length === 0 ? [] : iterate(args[0]!).slice();
      },
      'type',
    ),
  ],
  [
    'tuple',
    new PyCallable(
      'tuple',
      (args, kwargs) => {
        argCount('tuple', args, kwargs, 0, 1);
        return new PyTuple(args.length === 0 ? [] : iterate(args[0]!).slice());
      },
      'type',
    ),
  ],
  [
    'dict',
    new PyCallable(
      'dict',
      dictFrom,
      'type',
      new Map([
        [
          'fromkeys',
          new PyCallable('fromkeys', (args, kwargs) => {
            argCount('fromkeys', args, kwargs, 1, 2);
            const out = new Map<string, PyValue>();
            for (const key of iterate(args[0]!)) out.set(requireStrKey(key), args[1] ?? null);
            return out;
          }),
        ],
      ]),
    ),
  ],
  [
    'set',
    new PyCallable(
      'set',
      () => {
        throw unsupported('set');
      },
      'type',
    ),
  ],
  ['json', jsonModule],
  ['datetime', datetimeModule],
]);

function numberTimes(f: number, top: PyValue): PyValue {
  if (typeof top === 'bigint') return f * intToFloat(top);
  if (typeof top === 'number') return f * top;
  if (isDecimal(top))
    throw typeError("unsupported operand type(s) for *: 'float' and 'decimal.Decimal'");
  throw typeError(`can't multiply sequence by non-int of type 'float'`);
}

export function callValue(fn: PyValue, args: readonly PyValue[], kwargs: PyKwargs): PyValue {
  if (fn instanceof PyCallable) return fn.call(args, kwargs);
  if (fn instanceof PyObject) {
    const callable = fn as PyObject & { call?: (a: readonly PyValue[], k: PyKwargs) => PyValue };
    if (typeof callable.call === 'function') return callable.call(args, kwargs);
  }
  throw typeError(`'${pyShortTypeName(fn)}' object is not callable`);
}
