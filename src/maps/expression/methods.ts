import { optArg } from './args';
import { ExpressionEvalError, typeError, unsupported, valueError } from './errors';
import { argCount, pyStripWhitespace, requireStrKey } from './builtins';
import { iterate } from './operators';
import { isDecimal } from './py-decimal';
import {
  codePoints,
  dictKey,
  hasSurrogates,
  pyEquals,
  pyLen,
  pyRepr,
  PyCallable,
  PyObject,
  pyShortTypeName,
  PyTuple,
  type PyKwargs,
  type PyValue,
} from './py-value';

type Method<T> = (self: T, args: readonly PyValue[], kwargs: PyKwargs) => PyValue;

export function attributeError(obj: PyValue, name: string): ExpressionEvalError {
  return new ExpressionEvalError(
    'AttributeError',
    `'${pyShortTypeName(obj)}' object has no attribute '${name}'`,
  );
}

function str(v: PyValue, fn: string, what = 'argument'): string {
  if (typeof v !== 'string')
    throw typeError(`${fn}() ${what} must be str, not ${pyShortTypeName(v)}`);
  return v;
}

function int(v: PyValue): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw typeError(`'${pyShortTypeName(v)}' object cannot be interpreted as an integer`);
}

function checkKwargs(fn: string, kwargs: PyKwargs, allowed: readonly string[]): void {
  if (kwargs === null) return;
  for (const k of kwargs.keys())
    if (!allowed.includes(k)) throw typeError(`'${k}' is an invalid keyword argument for ${fn}()`);
}

// Python's str.isspace() set (JavaScript's \s also has U+FEFF and lacks U+001C..U+001F, U+0085).
const WS =
  '\\t\\n\\v\\f\\r \\u001c-\\u001f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const IS_WS = new RegExp(`^[${WS}]+$`, 'u');

function cpIndex(s: string, unitIndex: number): number {
  return unitIndex < 0 || !hasSurrogates(s) ? unitIndex : pyLen(s.slice(0, unitIndex));
}

/** Applies Python's optional [start, end] window to a string search (code point positions). */
function window(s: string, args: readonly PyValue[], from: number): { text: string; base: number } {
  const start = args[from];
  const end = args[from + 1];
  if ((start === undefined || start === null) && (end === undefined || end === null))
    return { text: s, base: 0 };
  const cps = codePoints(s);
  const n = cps.length;
  const norm = (v: PyValue | undefined, dflt: number): number => {
    if (v === undefined || v === null) return dflt;
    let i = int(v);
    if (i < 0) i = Math.max(0, i + n);
    return Math.min(i, n);
  };
  const a = norm(start, 0);
  const b = norm(end, n);
  return { text: a > b ? '' : cps.slice(a, b).join(''), base: a };
}

const IS_WS_CHAR = new RegExp(`[${WS}]`, 'u');

/** Python's whitespace split (no separator): runs of whitespace, at most `maxsplit` splits. */
function splitWhitespace(s: string, maxsplit: number, fromRight: boolean): string[] {
  const cps = codePoints(s);
  const ws = (i: number): boolean => IS_WS_CHAR.test(cps[i]!);
  const out: string[] = [];
  const n = cps.length;
  if (!fromRight) {
    let i = 0;
    for (;;) {
      while (i < n && ws(i)) i++;
      if (i >= n) break;
      if (maxsplit >= 0 && out.length === maxsplit) {
        out.push(cps.slice(i).join(''));
        break;
      }
      const start = i;
      while (i < n && !ws(i)) i++;
      out.push(cps.slice(start, i).join(''));
    }
    return out;
  }
  let i = n - 1;
  for (;;) {
    while (i >= 0 && ws(i)) i--;
    if (i < 0) break;
    if (maxsplit >= 0 && out.length === maxsplit) {
      out.push(cps.slice(0, i + 1).join(''));
      break;
    }
    const end = i;
    while (i >= 0 && !ws(i)) i--;
    out.push(cps.slice(i + 1, end + 1).join(''));
  }
  return out.reverse();
}

function split(
  s: string,
  sep: PyValue | undefined,
  maxsplit: number,
  fromRight: boolean,
): PyValue[] {
  if (sep === undefined || sep === null) return splitWhitespace(s, maxsplit, fromRight);
  const sp = str(sep, 'split', 'argument 1');
  if (sp === '') throw valueError('empty separator');
  const all = s.split(sp);
  if (maxsplit < 0 || all.length <= maxsplit + 1) return all;
  if (fromRight)
    return [all.slice(0, all.length - maxsplit).join(sp), ...all.slice(all.length - maxsplit)];
  return [...all.slice(0, maxsplit), all.slice(maxsplit).join(sp)];
}

function stripChars(
  s: string,
  chars: PyValue | undefined,
  left: boolean,
  right: boolean,
  fn: string,
): string {
  if (chars === undefined || chars === null) {
    if (left && right) return pyStripWhitespace(s);
    return left
      ? s.replace(new RegExp(`^[${WS}]+`, 'u'), '')
      : s.replace(new RegExp(`[${WS}]+$`, 'u'), '');
  }
  const set = new Set(codePoints(str(chars, fn, 'arg')));
  const cps = codePoints(s);
  let a = 0;
  let b = cps.length;
  if (left) while (a < b && set.has(cps[a]!)) a++;
  if (right) while (b > a && set.has(cps[b - 1]!)) b--;
  return cps.slice(a, b).join('');
}

const CASED = /[\p{Lu}\p{Ll}\p{Lt}]/u;
const TITLE_DIGRAPHS: Record<string, string> = {
  '\u01c4': '\u01c5',
  '\u01c5': '\u01c5',
  '\u01c6': '\u01c5',
  '\u01c7': '\u01c8',
  '\u01c8': '\u01c8',
  '\u01c9': '\u01c8',
  '\u01ca': '\u01cb',
  '\u01cb': '\u01cb',
  '\u01cc': '\u01cb',
  '\u01f1': '\u01f2',
  '\u01f2': '\u01f2',
  '\u01f3': '\u01f2',
};

/** Python's title case of one character: 'ß' becomes 'Ss', not 'SS'. */
function titleChar(ch: string): string {
  const digraph = TITLE_DIGRAPHS[ch];
  if (digraph !== undefined) return digraph;
  const upper = ch.toUpperCase();
  if (upper.length <= ch.length) return upper;
  const cps = codePoints(upper);
  return cps[0]! + cps.slice(1).join('').toLowerCase();
}

function title(s: string): string {
  let out = '';
  let prevCased = false;
  for (const ch of s) {
    const cased = CASED.test(ch);
    out += cased ? (prevCased ? ch.toLowerCase() : titleChar(ch)) : ch;
    prevCased = cased;
  }
  return out;
}

function affixTest(
  s: string,
  args: readonly PyValue[],
  fn: string,
  test: (t: string, a: string) => boolean,
): boolean {
  if (args.length < 1 || args.length > 3)
    throw typeError(`${fn}() takes at least 1 argument (${args.length} given)`);
  const { text } = window(s, args, 1);
  const a = args[0]!;
  if (a instanceof PyTuple) return a.items.some((x) => test(text, str(x, fn, 'first arg')));
  if (typeof a !== 'string')
    throw typeError(`${fn} first arg must be str or a tuple of str, not ${pyShortTypeName(a)}`);
  return test(text, a);
}

function find(s: string, args: readonly PyValue[], fn: string, fromRight: boolean): number {
  if (args.length < 1 || args.length > 3)
    throw typeError(`${fn}() takes at least 1 argument (${args.length} given)`);
  const sub = str(args[0]!, fn, 'argument');
  const { text, base } = window(s, args, 1);
  const i = fromRight ? text.lastIndexOf(sub) : text.indexOf(sub);
  return i < 0 ? -1 : base + cpIndex(text, i);
}

function isAll(s: string, re: RegExp): boolean {
  return s !== '' && codePoints(s).every((c) => re.test(c));
}

function pad(
  s: string,
  args: readonly PyValue[],
  kwargs: PyKwargs,
  fn: string,
  align: 'l' | 'r' | 'c',
): string {
  argCount(fn, args, kwargs, 1, 2);
  const width = int(args[0]!);
  const fill = args[1] === undefined ? ' ' : str(args[1], fn, 'argument 2');
  if (pyLen(fill) !== 1) throw typeError('The fill character must be exactly one character long');
  const n = pyLen(s);
  if (width <= n) return s;
  const total = width - n;
  if (align === 'l') return s + fill.repeat(total);
  if (align === 'r') return fill.repeat(total) + s;
  const left = Math.floor(total / 2) + (total & width & 1);
  return fill.repeat(left) + s + fill.repeat(total - left);
}

export const STR_METHODS: Record<string, Method<string>> = {
  upper: (s, a, k) => (argCount('upper', a, k, 0, 0), s.toUpperCase()),
  lower: (s, a, k) => (argCount('lower', a, k, 0, 0), s.toLowerCase()),
  casefold: (s, a, k) => (argCount('casefold', a, k, 0, 0), s.toUpperCase().toLowerCase()),
  swapcase: (s, a, k) => (
    argCount('swapcase', a, k, 0, 0),
    codePoints(s)
      .map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()))
      .join('')
  ),
  title: (s, a, k) => (argCount('title', a, k, 0, 0), title(s)),
  capitalize: (s, a, k) => {
    argCount('capitalize', a, k, 0, 0);
    const cps = codePoints(s);
    return cps.length === 0 ? '' : titleChar(cps[0]!) + cps.slice(1).join('').toLowerCase();
  },
  strip: (s, a, k) => (argCount('strip', a, k, 0, 1), stripChars(s, a[0], true, true, 'strip')),
  lstrip: (s, a, k) => (argCount('lstrip', a, k, 0, 1), stripChars(s, a[0], true, false, 'lstrip')),
  rstrip: (s, a, k) => (argCount('rstrip', a, k, 0, 1), stripChars(s, a[0], false, true, 'rstrip')),
  split: (s, a, k) => {
    checkKwargs('split', k, ['sep', 'maxsplit']);
    const ms = optArg(a, k, 1, 'maxsplit');
    return split(s, optArg(a, k, 0, 'sep'), ms === undefined ? -1 : int(ms), false);
  },
  rsplit: (s, a, k) => {
    checkKwargs('rsplit', k, ['sep', 'maxsplit']);
    const ms = optArg(a, k, 1, 'maxsplit');
    return split(s, optArg(a, k, 0, 'sep'), ms === undefined ? -1 : int(ms), true);
  },
  splitlines: (s, a, k) => {
    checkKwargs('splitlines', k, ['keepends']);
    const keep = optArg(a, k, 0, 'keepends');
    // Python's line boundaries include U+001C..U+001E.
    // eslint-disable-next-line no-control-regex
    const parts = s.split(/(\r\n|[\n\r\v\f\u001c-\u001e\u0085\u2028\u2029])/u);
    const out: string[] = [];
    for (let i = 0; i < parts.length; i += 2) {
      const line = parts[i]!;
      const end = parts[i + 1];
      if (end === undefined) {
        if (line !== '') out.push(line);
      } else out.push(keep === true || keep === 1n ? line + end : line);
    }
    return out;
  },
  replace: (s, a, k) => {
    argCount('replace', a, k, 2, 3);
    const old = str(a[0]!, 'replace', 'argument 1');
    const rep = str(a[1]!, 'replace', 'argument 2');
    const count = a[2] === undefined ? -1 : int(a[2]);
    if (count < 0) {
      if (old === '') return rep + codePoints(s).join(rep) + (s === '' ? '' : rep);
      return s.split(old).join(rep);
    }
    if (old === '') {
      const cps = codePoints(s);
      let out = '';
      let n = 0;
      for (let i = 0; i <= cps.length; i++) {
        if (n < count) {
          out += rep;
          n++;
        }
        if (i < cps.length) out += cps[i];
      }
      return out;
    }
    const parts = s.split(old);
    if (parts.length - 1 <= count) return parts.join(rep);
    return parts.slice(0, count + 1).join(rep) + old + parts.slice(count + 1).join(old);
  },
  startswith: (s, a) => affixTest(s, a, 'startswith', (t, x) => t.startsWith(x)),
  endswith: (s, a) => affixTest(s, a, 'endswith', (t, x) => t.endsWith(x)),
  find: (s, a) => BigInt(find(s, a, 'find', false)),
  rfind: (s, a) => BigInt(find(s, a, 'rfind', true)),
  index: (s, a) => {
    const i = find(s, a, 'index', false);
    if (i < 0) throw valueError('substring not found');
    return BigInt(i);
  },
  rindex: (s, a) => {
    const i = find(s, a, 'rindex', true);
    if (i < 0) throw valueError('substring not found');
    return BigInt(i);
  },
  count: (s, a) => {
    if (a.length < 1 || a.length > 3)
      throw typeError(`count() takes at least 1 argument (${a.length} given)`);
    const sub = str(a[0]!, 'count', 'argument');
    const { text } = window(s, a, 1);
    if (sub === '') return BigInt(pyLen(text) + 1);
    return BigInt(text.split(sub).length - 1);
  },
  join: (s, a, k) => {
    argCount('join', a, k, 1, 1);
    const items = iterate(a[0]!);
    items.forEach((x, i) => {
      if (typeof x !== 'string')
        throw typeError(`sequence item ${i}: expected str instance, ${pyShortTypeName(x)} found`);
    });
    return items.join(s);
  },
  zfill: (s, a, k) => {
    argCount('zfill', a, k, 1, 1);
    const width = int(a[0]!);
    const n = pyLen(s);
    if (width <= n) return s;
    const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
    return sign + '0'.repeat(width - n) + s.slice(sign.length);
  },
  center: (s, a, k) => pad(s, a, k, 'center', 'c'),
  ljust: (s, a, k) => pad(s, a, k, 'ljust', 'l'),
  rjust: (s, a, k) => pad(s, a, k, 'rjust', 'r'),
  removeprefix: (s, a, k) => {
    argCount('removeprefix', a, k, 1, 1);
    const p = str(a[0]!, 'removeprefix', 'argument');
    return p !== '' && s.startsWith(p) ? s.slice(p.length) : s;
  },
  removesuffix: (s, a, k) => {
    argCount('removesuffix', a, k, 1, 1);
    const p = str(a[0]!, 'removesuffix', 'argument');
    return p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  },
  partition: (s, a, k) => {
    argCount('partition', a, k, 1, 1);
    const sep = str(a[0]!, 'partition', 'argument');
    if (sep === '') throw valueError('empty separator');
    const i = s.indexOf(sep);
    return i < 0
      ? new PyTuple([s, '', ''])
      : new PyTuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  rpartition: (s, a, k) => {
    argCount('rpartition', a, k, 1, 1);
    const sep = str(a[0]!, 'rpartition', 'argument');
    if (sep === '') throw valueError('empty separator');
    const i = s.lastIndexOf(sep);
    return i < 0
      ? new PyTuple(['', '', s])
      : new PyTuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  isdigit: (s) => isAll(s, /[\p{Nd}\u00b2\u00b3\u00b9\u2070-\u2079\u2080-\u2089\u2460-\u2468]/u),
  isdecimal: (s) => isAll(s, /\p{Nd}/u),
  isnumeric: (s) => isAll(s, /[\p{Nd}\p{Nl}\p{No}]/u),
  isalpha: (s) => isAll(s, /\p{L}/u),
  isalnum: (s) => isAll(s, /[\p{L}\p{Nd}\p{Nl}\p{No}]/u),
  isspace: (s) => s !== '' && IS_WS.test(s),
  // eslint-disable-next-line no-control-regex
  isascii: (s) => /^[\x00-\x7f]*$/.test(s),
  islower: (s) => CASED.test(s) && !/[\p{Lu}\p{Lt}]/u.test(s),
  isupper: (s) => CASED.test(s) && !/[\p{Ll}\p{Lt}]/u.test(s),
  istitle: (s) => CASED.test(s) && title(s) === s,
  encode: () => {
    throw unsupported('bytes (str.encode)');
  },
};

function mutating(type: string, name: string): Method<unknown> {
  return () => {
    throw unsupported(`${type}.${name}() (changing a value in place)`);
  };
}

function indexOf(
  items: readonly PyValue[],
  a: readonly PyValue[],
  k: PyKwargs,
  type: string,
): PyValue {
  argCount('index', a, k, 1, 3);
  const start = a[1] === undefined ? 0 : int(a[1]);
  const end = a[2] === undefined ? items.length : int(a[2]);
  const n = items.length;
  const from = start < 0 ? Math.max(0, start + n) : start;
  const to = end < 0 ? Math.max(0, end + n) : Math.min(end, n);
  for (let i = from; i < to; i++)
    if (items[i] === a[0] || pyEquals(items[i]!, a[0]!)) return BigInt(i);
  throw valueError(
    type === 'list' ? `${pyRepr(a[0]!)} is not in list` : 'tuple.index(x): x not in tuple',
  );
}

function countOf(items: readonly PyValue[], a: readonly PyValue[], k: PyKwargs): PyValue {
  argCount('count', a, k, 1, 1);
  let n = 0n;
  for (const x of items) if (x === a[0] || pyEquals(x, a[0]!)) n++;
  return n;
}

export const LIST_METHODS: Record<string, Method<PyValue[]>> = {
  index: (l, a, k) => indexOf(l, a, k, 'list'),
  count: (l, a, k) => countOf(l, a, k),
  copy: (l, a, k) => (argCount('copy', a, k, 0, 0), l.slice()),
  append: mutating('list', 'append'),
  extend: mutating('list', 'extend'),
  insert: mutating('list', 'insert'),
  pop: mutating('list', 'pop'),
  remove: mutating('list', 'remove'),
  reverse: mutating('list', 'reverse'),
  sort: mutating('list', 'sort'),
  clear: mutating('list', 'clear'),
};

export const TUPLE_METHODS: Record<string, Method<PyTuple>> = {
  index: (t, a, k) => indexOf(t.items, a, k, 'tuple'),
  count: (t, a, k) => countOf(t.items, a, k),
};

export const DICT_METHODS: Record<string, Method<Map<string, PyValue>>> = {
  get: (d, a, k) => {
    argCount('get', a, k, 1, 2);
    const key = dictKey(a[0]!);
    const v = key === undefined ? undefined : d.get(key);
    return v === undefined ? (a[1] ?? null) : v;
  },
  keys: (d, a, k) => (argCount('keys', a, k, 0, 0), Array.from(d.keys())),
  values: (d, a, k) => (argCount('values', a, k, 0, 0), Array.from(d.values())),
  items: (d, a, k) => (
    argCount('items', a, k, 0, 0),
    Array.from(d, ([key, v]) => new PyTuple([key, v]))
  ),
  copy: (d, a, k) => (argCount('copy', a, k, 0, 0), new Map(d)),
  fromkeys: (_d, a, k) => {
    argCount('fromkeys', a, k, 1, 2);
    const out = new Map<string, PyValue>();
    for (const key of iterate(a[0]!)) out.set(requireStrKey(key), a[1] ?? null);
    return out;
  },
  pop: mutating('dict', 'pop'),
  popitem: mutating('dict', 'popitem'),
  setdefault: mutating('dict', 'setdefault'),
  update: mutating('dict', 'update'),
  clear: mutating('dict', 'clear'),
};

export const FLOAT_METHODS: Record<string, Method<number>> = {
  is_integer: (f, a, k) => (argCount('is_integer', a, k, 0, 0), Number.isInteger(f)),
};

export const INT_METHODS: Record<string, Method<bigint>> = {
  bit_length: (n, a, k) => (
    argCount('bit_length', a, k, 0, 0),
    BigInt(n === 0n ? 0 : (n < 0n ? -n : n).toString(2).length)
  ),
};

/** The implementation of a built-in type's method for a receiver, found without allocating. */
export type MethodImpl = (self: PyValue, args: readonly PyValue[], kwargs: PyKwargs) => PyValue;

function own<T>(table: Record<string, T>, name: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}

/**
 * Looks the method name up once when compiling; the returned function picks the receiver type's
 * implementation when evaluating (undefined: not a built-in method, use attribute access).
 */
export function resolveMethod(name: string): (self: PyValue) => MethodImpl | undefined {
  const s = own(STR_METHODS, name) as MethodImpl | undefined;
  const l = own(LIST_METHODS, name) as MethodImpl | undefined;
  const t = own(TUPLE_METHODS, name) as MethodImpl | undefined;
  const d = own(DICT_METHODS, name) as MethodImpl | undefined;
  const f = own(FLOAT_METHODS, name) as MethodImpl | undefined;
  const i = own(INT_METHODS, name) as MethodImpl | undefined;
  return (self) => {
    if (typeof self === 'string') return s;
    if (Array.isArray(self)) return l;
    if (self instanceof Map) return d;
    if (self instanceof PyTuple) return t;
    if (typeof self === 'number') return f;
    if (typeof self === 'bigint') return i;
    return undefined;
  };
}

/** `obj.name` without a call: bound methods, object attributes, or a dict key (simpleeval's fallback). */
export function getAttribute(obj: PyValue, name: string): PyValue {
  const table =
    typeof obj === 'string'
      ? own(STR_METHODS, name)
      : Array.isArray(obj)
        ? own(LIST_METHODS, name)
        : obj instanceof Map
          ? own(DICT_METHODS, name)
          : obj instanceof PyTuple
            ? own(TUPLE_METHODS, name)
            : typeof obj === 'number'
              ? own(FLOAT_METHODS, name)
              : typeof obj === 'bigint'
                ? own(INT_METHODS, name)
                : undefined;
  if (table !== undefined) {
    const m = table as Method<PyValue>;
    return new PyCallable(name, (args, kwargs) => m(obj, args, kwargs));
  }
  if (obj instanceof PyObject && !isDecimal(obj)) {
    const v = obj.getAttr(name);
    if (v !== undefined) return v;
  }
  if (obj instanceof Map) {
    // The SDK's evaluator falls back to `obj[name]` when an attribute is missing.
    const v = obj.get(name);
    if (v !== undefined) return v;
  }
  throw attributeError(obj, name);
}
