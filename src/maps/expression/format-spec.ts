import type Decimal from 'decimal.js';
import { unsupported, valueError } from './errors';
import { decimalParts, decimalToFloat, isDecimal, pow10 } from './py-decimal';
import { floatRepr } from './py-float';
import { pyLen, pyShortTypeName, pyStr, type PyValue } from './py-value';

const SPEC = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/su;

function group(intDigits: string, sep: string | undefined): string {
  if (sep === undefined) return intDigits;
  return intDigits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

/** Fixed-point text of a Decimal rounded half to even, without going through a float. */
function decimalFixed(d: Decimal, places: number): { negative: boolean; text: string } {
  const { negative, coefficient, exponent } = decimalParts(d);
  let c = coefficient;
  let e = exponent;
  if (e < -places) {
    const drop = -places - e;
    const div = pow10(drop);
    let q = c / div;
    const r = c % div;
    const half = div / 2n;
    if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
    c = q;
    e = -places;
  }
  let digits = c.toString();
  if (e > 0) digits += '0'.repeat(e);
  const frac = Math.max(0, -e);
  digits = digits.padStart(frac + 1, '0');
  let text =
    frac === 0
      ? digits
      : `${digits.slice(0, digits.length - frac)}.${digits.slice(digits.length - frac)}`;
  if (places > frac) text += (frac === 0 ? '.' : '') + '0'.repeat(places - frac);
  return { negative, text };
}

/** Python's `format(value, spec)` for the common cases of the format mini-language. */
export function formatValue(value: PyValue, spec: string): string {
  if (spec === '') return pyStr(value);
  const m = SPEC.exec(spec);
  if (m === null)
    throw valueError(
      `Invalid format specifier '${spec}' for object of type '${pyShortTypeName(value)}'`,
    );
  const [, fillChar, align, sign = '-', alt, zero, widthText, grouping, precisionText, type] = m;
  if (alt !== undefined) throw unsupported("the '#' format option");
  const width = widthText === undefined ? 0 : Number(widthText);
  const precision = precisionText === undefined ? undefined : Number(precisionText);
  let fill = fillChar ?? (zero !== undefined ? '0' : ' ');
  let al = align ?? (zero !== undefined && typeof value !== 'string' ? '=' : undefined);
  let body: string;
  let negative = false;
  const num = typeof value === 'boolean' ? (value ? 1n : 0n) : value;
  if (typeof num === 'string') {
    if (type !== undefined && type !== 's')
      throw valueError(`Unknown format code '${type}' for object of type 'str'`);
    body = precision === undefined ? num : Array.from(num).slice(0, precision).join('');
    al = al ?? '<';
  } else if (typeof num === 'bigint' && (type === undefined || 'bdoxXn'.includes(type))) {
    negative = num < 0n;
    const abs = negative ? -num : num;
    const radix = type === 'b' ? 2 : type === 'o' ? 8 : type === 'x' || type === 'X' ? 16 : 10;
    body = abs.toString(radix);
    if (type === 'X') body = body.toUpperCase();
    body = group(body, grouping);
  } else if (typeof num === 'bigint' || typeof num === 'number' || isDecimal(num)) {
    const t = type ?? (isDecimal(num) || typeof num === 'number' ? '' : 'g');
    if (isDecimal(num) && (t === 'f' || t === 'F')) {
      const r = decimalFixed(num, precision ?? 6);
      negative = r.negative;
      body = r.text;
    } else {
      const x = typeof num === 'bigint' ? Number(num) : isDecimal(num) ? decimalToFloat(num) : num;
      negative = x < 0 || Object.is(x, -0);
      const a = Math.abs(x);
      const p = precision ?? 6;
      if (!Number.isFinite(a)) body = Number.isNaN(a) ? 'nan' : 'inf';
      else if (t === 'f' || t === 'F') body = a.toFixed(p);
      else if (t === '%') body = (a * 100).toFixed(p) + '%';
      else if (t === 'e' || t === 'E') body = a.toExponential(p).replace(/e([+-])(\d)$/, 'e$10$2');
      else if (t === '' && precision === undefined)
        body = isDecimal(num) ? pyStr(num).replace(/^-/, '') : floatRepr(a);
      else if (t === 'g' || t === 'G' || t === '') {
        const pp = p === 0 ? 1 : p;
        const exp = a === 0 ? 0 : Math.floor(Math.log10(a));
        if (exp < -4 || exp >= pp)
          body = a
            .toExponential(pp - 1)
            .replace(/\.?0+e/, 'e')
            .replace(/e([+-])(\d)$/, 'e$10$2');
        else body = a.toFixed(Math.max(0, pp - 1 - exp)).replace(/\.?0+$/, '');
        if (t === '' && !body.includes('.') && !body.includes('e')) body += '.0';
      } else
        throw valueError(
          `Unknown format code '${t}' for object of type '${pyShortTypeName(value)}'`,
        );
      if (t === 'E' || t === 'G' || t === 'F') body = body.toUpperCase();
      if (grouping !== undefined) {
        const [i, f] = body.split('.');
        body = group(i!, grouping) + (f === undefined ? '' : '.' + f);
      }
    }
  } else {
    if (type !== undefined && type !== 's')
      throw valueError(
        `Unknown format code '${type}' for object of type '${pyShortTypeName(value)}'`,
      );
    body = pyStr(value);
    al = al ?? '<';
  }
  const signText = negative ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
  al = al ?? '>';
  const n = pyLen(signText + body);
  if (n >= width) return signText + body;
  const padding = width - n;
  if (fillChar === undefined && zero !== undefined && align === undefined) fill = '0';
  if (al === '=') return signText + fill.repeat(padding) + body;
  if (al === '<') return signText + body + fill.repeat(padding);
  if (al === '^') {
    const left = Math.floor(padding / 2);
    return fill.repeat(left) + signText + body + fill.repeat(padding - left);
  }
  return fill.repeat(padding) + signText + body;
}
