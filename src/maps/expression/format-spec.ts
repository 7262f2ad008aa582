import type Decimal from 'decimal.js';
import { typeError, unsupported, valueError } from './errors';
import { decimalParts, digitCount, isDecimal, pow10 } from './py-decimal';
import { floatParts, floatRepr, intToFloat } from './py-float';
import { pyLen, pyShortTypeName, pyStr, type PyValue } from './py-value';

/*
 * Python's format-spec mini-language ([[fill]align][sign][0][width][,|_][.precision][type]) for
 * str, int, float and Decimal. Numbers are formatted from their exact value with round-half-even,
 * as CPython does, so `f"{0.5:.0f}"` is '0' and `f"{1e300:,.2f}"` has all 301 digits.
 */

const SPEC = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/su;

interface Spec {
  fill: string | undefined;
  align: string | undefined;
  sign: string;
  zero: boolean;
  width: number;
  grouping: string | undefined;
  precision: number | undefined;
  type: string | undefined;
}

/** An exact decimal number: (-1)^negative * coefficient * 10^exponent. */
interface Exact {
  negative: boolean;
  coefficient: bigint;
  exponent: number;
}

function exactFromFloat(x: number): Exact {
  const { mantissa, exponent } = floatParts(x);
  const negative = mantissa < 0n || Object.is(x, -0);
  const m = mantissa < 0n ? -mantissa : mantissa;
  if (exponent >= 0) return { negative, coefficient: m << BigInt(exponent), exponent: 0 };
  return { negative, coefficient: m * 5n ** BigInt(-exponent), exponent };
}

/** Quantizes to the given exponent, rounding half to even. */
function rescale(n: Exact, exponent: number): Exact {
  if (exponent <= n.exponent)
    return { ...n, coefficient: n.coefficient * pow10(n.exponent - exponent), exponent };
  const div = pow10(exponent - n.exponent);
  let q = n.coefficient / div;
  const r = n.coefficient % div;
  const half = div / 2n;
  if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
  return { ...n, coefficient: q, exponent };
}

function adjusted(n: Exact): number {
  return n.exponent + digitCount(n.coefficient) - 1;
}

/** Rounds to `places` significant digits (Python's Decimal._round). */
function roundSignificant(n: Exact, places: number): Exact {
  let r = rescale(n, adjusted(n) + 1 - places);
  if (n.coefficient !== 0n && adjusted(r) !== adjusted(n)) r = rescale(r, adjusted(r) + 1 - places);
  return r;
}

function group(intDigits: string, sep: string | undefined, every = 3): string {
  if (sep === undefined) return intDigits;
  const re = new RegExp(`\\B(?=(\\d{${every}})+(?!\\d))`, 'g');
  return intDigits.replace(re, sep);
}

/** Fixed-point digits of a rounded exact value, as 'int.frac'. */
function fixed(n: Exact, places: number, grouping: string | undefined): string {
  const r = rescale(n, -places);
  const digits = r.coefficient.toString().padStart(places + 1, '0');
  const intPart = digits.slice(0, digits.length - places);
  const fracPart = digits.slice(digits.length - places);
  return group(intPart, grouping) + (places > 0 ? `.${fracPart}` : '');
}

function scientific(n: Exact, places: number, minExpDigits: number): string {
  const r = n.coefficient === 0n ? { ...n, exponent: 0 } : roundSignificant(n, places + 1);
  const digits =
    r.coefficient === 0n
      ? '0'.repeat(places + 1)
      : r.coefficient.toString().padEnd(places + 1, '0');
  const exp = r.coefficient === 0n ? 0 : adjusted(r);
  const mantissa = places > 0 ? `${digits[0]}.${digits.slice(1)}` : digits[0]!;
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(minExpDigits, '0')}`;
}

function stripZeros(text: string): string {
  const [m, e] = text.split('e');
  const stripped = m!.includes('.') ? m!.replace(/0+$/, '').replace(/\.$/, '') : m!;
  return e === undefined ? stripped : `${stripped}e${e}`;
}

/** float.__format__ for the float presentation types (also used for int with those types). */
function formatFloat(x: number, spec: Spec): { negative: boolean; body: string } {
  const t = spec.type;
  const negative = x < 0 || Object.is(x, -0);
  if (!Number.isFinite(x)) {
    const word = Number.isNaN(x) ? 'nan' : 'inf';
    return {
      negative: x === -Infinity,
      body:
        t !== undefined && 'FEG'.includes(t) ? word.toUpperCase() : t === '%' ? `${word}%` : word,
    };
  }
  const n = exactFromFloat(Math.abs(x));
  const p = spec.precision;
  let body: string;
  switch (t) {
    case 'f':
    case 'F':
      body = fixed(n, p ?? 6, spec.grouping);
      break;
    case '%':
      // Python multiplies the float by 100 (one float rounding) before formatting it.
      body = Number.isFinite(x * 100)
        ? fixed(exactFromFloat(Math.abs(x * 100)), p ?? 6, spec.grouping) + '%'
        : 'inf%';
      break;
    case 'e':
    case 'E':
      body = scientific(n, p ?? 6, 2);
      break;
    case 'g':
    case 'G':
    case undefined: {
      if (t === undefined && p === undefined) {
        const repr = floatRepr(Math.abs(x));
        const [i, rest] = repr.split(/(?=[.e])/, 2) as [string, string | undefined];
        body = group(i, spec.grouping) + (repr.slice(i.length) || (rest ?? ''));
        break;
      }
      const prec = p === undefined ? 6 : p === 0 ? 1 : p;
      const r = n.coefficient === 0n ? n : roundSignificant(n, prec);
      const exp = n.coefficient === 0n ? 0 : adjusted(r);
      // 'g' is fixed-point below 10^precision; no type, below 10^(precision-1), with a '.0' kept.
      const limit = t === undefined ? prec - 1 : prec;
      if (exp >= -4 && exp < limit) {
        body = stripZeros(fixed(n, Math.max(0, prec - 1 - exp), spec.grouping));
        if (t === undefined && !body.includes('.')) body += '.0';
      } else {
        body = stripZeros(scientific(n, prec - 1, 2));
      }
      break;
    }
    default:
      throw valueError(`Unknown format code '${t}' for object of type 'float'`);
  }
  if (t === 'E' || t === 'G') body = body.toUpperCase();
  return { negative, body };
}

/** Decimal.__format__, following CPython's decimal module. */
function formatDecimal(d: Decimal, spec: Spec): { negative: boolean; body: string } {
  const parts = decimalParts(d);
  let n: Exact = {
    negative: parts.negative,
    coefficient: parts.coefficient,
    exponent: parts.exponent,
  };
  const t = spec.type ?? 'G';
  if (!'eEfFgG%'.includes(t))
    throw valueError(`Unknown format code '${t}' for object of type 'decimal.Decimal'`);
  let precision = spec.precision;
  if (precision === 0 && (t === 'g' || t === 'G')) precision = 1;
  if (t === '%') n = { ...n, exponent: n.exponent + 2 };
  if (precision !== undefined) {
    if (t === 'e' || t === 'E') n = n.coefficient === 0n ? n : roundSignificant(n, precision + 1);
    else if (t === 'f' || t === 'F' || t === '%') n = rescale(n, -precision);
    else if (digitCount(n.coefficient) > precision) n = roundSignificant(n, precision);
  }
  if (n.coefficient === 0n && n.exponent > 0 && 'fF%'.includes(t)) n = rescale(n, 0);
  const leftDigits = n.exponent + digitCount(n.coefficient);
  let dotplace: number;
  if (t === 'e' || t === 'E')
    dotplace = n.coefficient === 0n && precision !== undefined ? 1 - precision : 1;
  else if (t === 'f' || t === 'F' || t === '%') dotplace = leftDigits;
  else dotplace = n.exponent <= 0 && leftDigits > -6 ? leftDigits : 1;
  const digits = n.coefficient.toString();
  let intPart: string;
  let fracPart: string;
  if (dotplace < 0) {
    intPart = '0';
    fracPart = '0'.repeat(-dotplace) + digits;
  } else if (dotplace > digits.length) {
    intPart = digits + '0'.repeat(dotplace - digits.length);
    fracPart = '';
  } else {
    intPart = digits.slice(0, dotplace) || '0';
    fracPart = digits.slice(dotplace);
  }
  const exp = leftDigits - dotplace;
  let body = group(intPart, spec.grouping) + (fracPart !== '' ? `.${fracPart}` : '');
  if (exp !== 0 || t === 'e' || t === 'E')
    body += `${t === 'E' || t === 'G' ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${Math.abs(exp)}`;
  if (t === '%') body += '%';
  return { negative: n.negative, body };
}

function formatInt(v: bigint, spec: Spec): { negative: boolean; body: string } {
  const t = spec.type ?? 'd';
  if (spec.precision !== undefined)
    throw valueError('Precision not allowed in integer format specifier');
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const radix = t === 'b' ? 2 : t === 'o' ? 8 : t === 'x' || t === 'X' ? 16 : t === 'd' ? 10 : 0;
  if (radix === 0) throw unsupported(`the format code '${t}' for int`);
  if (radix !== 10 && spec.grouping === ',') throw valueError(`Cannot specify ',' with '${t}'.`);
  let body = group(abs.toString(radix), spec.grouping, radix === 10 ? 3 : 4);
  if (t === 'X') body = body.toUpperCase();
  return { negative, body };
}

function pad(text: string, signText: string, spec: Spec, defaultAlign: string): string {
  const width = spec.width;
  const n = pyLen(signText + text);
  if (n >= width) return signText + text;
  let fill = spec.fill ?? ' ';
  let align = spec.align;
  if (align === undefined && spec.zero) {
    align = defaultAlign === '<' ? '<' : '=';
    if (spec.fill === undefined) fill = '0';
  }
  align = align ?? defaultAlign;
  const padding = width - n;
  if (align === '=') return signText + fill.repeat(padding) + text;
  if (align === '<') return signText + text + fill.repeat(padding);
  if (align === '^') {
    const left = Math.floor(padding / 2);
    return fill.repeat(left) + signText + text + fill.repeat(padding - left);
  }
  return fill.repeat(padding) + signText + text;
}

/** Python's `format(value, spec)`, as f-strings use it. */
export function formatValue(value: PyValue, specText: string): string {
  if (specText === '') return pyStr(value);
  const m = SPEC.exec(specText);
  if (m === null)
    throw valueError(
      `Invalid format specifier '${specText}' for object of type '${pyShortTypeName(value)}'`,
    );
  if (m[4] !== undefined) throw unsupported("the '#' format option");
  const spec: Spec = {
    fill: m[1],
    align: m[2],
    sign: m[3] ?? '-',
    zero: m[5] !== undefined,
    width: m[6] === undefined ? 0 : Number(m[6]),
    grouping: m[7],
    precision: m[8] === undefined ? undefined : Number(m[8]),
    type: m[9],
  };
  if (typeof value === 'string') {
    if (spec.type !== undefined && spec.type !== 's')
      throw valueError(`Unknown format code '${spec.type}' for object of type 'str'`);
    if (spec.align === '=')
      throw valueError("'=' alignment not allowed in string format specifier");
    if (spec.grouping !== undefined)
      throw valueError(`Cannot specify '${spec.grouping}' with 's'.`);
    const text =
      spec.precision === undefined ? value : Array.from(value).slice(0, spec.precision).join('');
    return pad(text, '', spec, '<');
  }
  let r: { negative: boolean; body: string };
  if (typeof value === 'bigint' || typeof value === 'boolean') {
    const v = typeof value === 'boolean' ? (value ? 1n : 0n) : value;
    r =
      spec.type !== undefined && 'eEfFgG%'.includes(spec.type)
        ? formatFloat(intToFloat(v), spec)
        : formatInt(v, spec);
  } else if (typeof value === 'number') {
    r = formatFloat(value, spec);
  } else if (isDecimal(value)) {
    r = formatDecimal(value, spec);
  } else {
    throw typeError(`unsupported format string passed to ${pyShortTypeName(value)}.__format__`);
  }
  const signText = r.negative ? '-' : spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
  return pad(r.body, signText, spec, '>');
}
