import Decimal from 'decimal.js';
import { ExpressionEvalError } from './errors';

/**
 * Python's `decimal.Decimal` under the default context (28 significant digits, ROUND_HALF_EVEN).
 *
 * decimal.js drops trailing zeros while Python keeps the exponent (`Decimal('1.50') * 2` is
 * `Decimal('3.00')`, written as 3.00), so all arithmetic here follows Python's rules on Python's
 * form of a value: sign, integer coefficient, exponent. Values are still decimal.js instances to
 * callers (`instanceof Decimal`, its methods), but made without decimal.js: see PyDecimal.
 */
export interface DecimalParts {
  readonly negative: boolean;
  readonly coefficient: bigint; // >= 0
  readonly exponent: number;
}

const PRECISION = 28;
const TEN_TO_PRECISION = 10n ** BigInt(PRECISION);

/** A decimal.js constructor with Python's default context, so the global Decimal is never reconfigured. */
export const PyDecimalCtor = Decimal.clone({
  precision: PRECISION,
  rounding: Decimal.ROUND_HALF_EVEN,
});

/**
 * A Decimal as this module makes it: Python's parts as plain fields, on a prototype that inherits
 * decimal.js's methods. A map reads a decimal from most records (every `numeric` column), and
 * parsing each into decimal.js (and tagging it with its parts) cost more than all the arithmetic
 * done on it, which only needs the parts. decimal.js's own fields (`d`, `e`, `s`) are made from
 * the parts the first time one of its methods reads them (DECIMAL_JS_FIELDS below).
 */
class PyDecimal implements DecimalParts {
  constructor(
    readonly negative: boolean,
    /**
     * The coefficient when it is at most 2^53 - 1 (most values a record holds: exact as a double,
     * so arithmetic on it needs no BigInt), else -1 and the coefficient is `big`. Each value has
     * one form only, so two equal Decimals have equal fields.
     */
    readonly small: number,
    readonly big: bigint | undefined,
    readonly exponent: number,
  ) {}

  get coefficient(): bigint {
    return this.small >= 0 ? BigInt(this.small) : this.big!;
  }
}

/** decimal.js's representation of a PyDecimal, made once it is asked for. */
function materialise(x: PyDecimal): Decimal {
  const dj = new PyDecimalCtor(`${x.negative ? '-' : ''}${x.coefficient}e${x.exponent}`);
  for (const key of DECIMAL_JS_FIELDS) {
    Object.defineProperty(x, key, {
      value: (dj as unknown as Record<string, unknown>)[key],
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return dj;
}

/** The instance fields decimal.js's methods read (digits, exponent, sign). */
const DECIMAL_JS_FIELDS = ['d', 'e', 's'] as const;
Object.setPrototypeOf(PyDecimal.prototype, PyDecimalCtor.prototype);
Object.defineProperty(PyDecimal.prototype, 'constructor', {
  value: PyDecimalCtor,
  writable: true,
  configurable: true,
});
for (const key of DECIMAL_JS_FIELDS) {
  Object.defineProperty(PyDecimal.prototype, key, {
    get(this: PyDecimal) {
      return (materialise(this) as unknown as Record<string, unknown>)[key];
    },
    set(this: PyDecimal, v: unknown) {
      materialise(this);
      (this as unknown as Record<string, unknown>)[key] = v;
    },
    configurable: true,
  });
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The Decimal with these parts (coefficient >= 0). */
export function newDecimal(negative: boolean, coefficient: bigint, exponent: number): Decimal {
  return (coefficient <= SAFE
    ? new PyDecimal(negative, Number(coefficient), undefined, exponent)
    : new PyDecimal(negative, -1, coefficient, exponent)) as unknown as Decimal;
}

/** The Decimal with these parts, its coefficient a safe integer (0 to 2^53 - 1). */
export function newSmallDecimal(negative: boolean, coefficient: number, exponent: number): Decimal {
  return new PyDecimal(negative, coefficient, undefined, exponent) as unknown as Decimal;
}

/**
 * A Decimal in the BigInt form whatever its coefficient, which nothing else makes: every
 * operation takes its BigInt path on it, so tests compare the fast paths with those.
 */
export function bigFormDecimal(negative: boolean, coefficient: bigint, exponent: number): Decimal {
  return new PyDecimal(negative, -1, coefficient, exponent) as unknown as Decimal;
}

/**
 * The coefficient of a Decimal as a number when it is a safe integer, else -1 (a large one, or a
 * decimal.js value made elsewhere): the fast paths' test.
 */
export function smallCoefficient(d: Decimal): number {
  return (d as unknown) instanceof PyDecimal ? (d as unknown as PyDecimal).small : -1;
}

export function isDecimal(value: unknown): value is Decimal {
  return value instanceof PyDecimal || value instanceof Decimal;
}

const POW10: bigint[] = [];
export function pow10(n: number): bigint {
  if (n < 64) {
    let p = POW10[n];
    if (p === undefined) {
      p = 10n ** BigInt(n);
      POW10[n] = p;
    }
    return p;
  }
  return 10n ** BigInt(n);
}

export function digitCount(n: bigint): number {
  return n === 0n ? 1 : n.toString().length;
}

export function decimalFromParts(parts: DecimalParts): Decimal {
  return newDecimal(parts.negative, parts.coefficient, parts.exponent);
}

/** Parts of decimal.js instances made elsewhere (not by this module), kept once computed. */
const foreignParts = new WeakMap<Decimal, DecimalParts>();

/** Python's form of any decimal.js value; one created elsewhere gets its shortest exponent. */
export function decimalParts(d: Decimal): DecimalParts {
  if ((d as unknown) instanceof PyDecimal) return d as unknown as PyDecimal;
  const known = foreignParts.get(d);
  if (known !== undefined) return known;
  if (!d.isFinite())
    throw new ExpressionEvalError('ValueError', 'Decimal NaN and Infinity are not supported');
  let parts: DecimalParts;
  if (d.isZero()) {
    parts = { negative: d.isNegative(), coefficient: 0n, exponent: 0 };
  } else {
    const text = d.abs().toExponential();
    const e = text.indexOf('e');
    const digits = text.slice(0, e).replace('.', '');
    const exp = Number(text.slice(e + 1)) - (digits.length - 1);
    parts = { negative: d.isNegative(), coefficient: BigInt(digits), exponent: exp };
  }
  foreignParts.set(d, parts);
  return parts;
}

/** Parses a decimal literal as Python's `Decimal(str)` does for finite numbers; undefined if malformed. */
export function parseDecimalText(text: string): Decimal | undefined {
  const m = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (m === null) return undefined;
  const intPart = m[2] ?? '';
  const frac = m[3] ?? '';
  if (intPart === '' && frac === '') return undefined;
  const exponent = Number(m[4] ?? '0') - frac.length;
  const digits = intPart + frac;
  // Up to 15 digits are exact as a double, and Number() is cheaper than BigInt() of a string.
  const coefficient = digits.length <= 15 ? BigInt(Number(digits)) : BigInt(digits);
  return newDecimal(m[1] === '-', coefficient, exponent);
}

/** Python's `str(Decimal)` (to-scientific-string). */
export function decimalToString(d: Decimal): string {
  const s = smallCoefficient(d);
  const { negative, exponent } = s >= 0 ? (d as unknown as PyDecimal) : decimalParts(d);
  // A safe integer's String() is its digits (below 10^21 there is no exponent form).
  const digits = s >= 0 ? String(s) : decimalParts(d).coefficient.toString();
  const leftDigits = exponent + digits.length;
  const dotPlace = exponent <= 0 && leftDigits > -6 ? leftDigits : 1;
  let intPart: string;
  let fracPart: string;
  if (dotPlace <= 0) {
    intPart = '0';
    fracPart = '.' + '0'.repeat(-dotPlace) + digits;
  } else if (dotPlace >= digits.length) {
    intPart = digits + '0'.repeat(dotPlace - digits.length);
    fracPart = '';
  } else {
    intPart = digits.slice(0, dotPlace);
    fracPart = '.' + digits.slice(dotPlace);
  }
  const adjusted = leftDigits - dotPlace;
  const exp = adjusted === 0 ? '' : `E${adjusted > 0 ? '+' : '-'}${Math.abs(adjusted)}`;
  return (negative ? '-' : '') + intPart + fracPart + exp;
}

/** Rounds to the context precision, half to even, as Python's `_fix` does (no Emax/Emin clamping). */
function fix(negative: boolean, coefficient: bigint, exponent: number): Decimal {
  if (coefficient >= TEN_TO_PRECISION) {
    const drop = digitCount(coefficient) - PRECISION;
    const div = pow10(drop);
    let q = coefficient / div;
    const r = coefficient % div;
    const half = div / 2n;
    if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
    if (q === TEN_TO_PRECISION) {
      q = TEN_TO_PRECISION / 10n;
      exponent += 1;
    }
    coefficient = q;
    exponent += drop;
  }
  return newDecimal(negative, coefficient, exponent);
}

function signed(p: DecimalParts): bigint {
  return p.negative ? -p.coefficient : p.coefficient;
}

/** 10^k as a double, exact for k up to 22. */
const POW10_EXACT = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * s × 10^k when it is a safe integer (then exact), else -1. Doubles compute it exactly when the
 * true value is below 2^53: rounding is monotone and 2^53 is a double, so a result at most
 * MAX_SAFE means the true one was too, and was representable.
 */
function scaledSmall(s: number, k: number): number {
  if (k === 0) return s;
  if (k > 22) return s === 0 ? 0 : -1;
  const r = s * POW10_EXACT[k]!;
  return r <= MAX_SAFE ? r : -1;
}

export function decimalAdd(a: Decimal, b: Decimal, subtract = false): Decimal {
  const s = smallCoefficient(a);
  const t = smallCoefficient(b);
  if (s >= 0 && t >= 0) {
    // Both coefficients safe integers: the sum of the aligned ones, when it is safe too, is exact.
    const x = a as unknown as PyDecimal;
    const y = b as unknown as PyDecimal;
    const exp = Math.min(x.exponent, y.exponent);
    const l = scaledSmall(s, x.exponent - exp);
    const r = scaledSmall(t, y.exponent - exp);
    if (l >= 0 && r >= 0) {
      const yNegative = y.negative !== subtract;
      const sum = (x.negative ? -l : l) + (yNegative ? -r : r);
      if (sum === 0) return newSmallDecimal(x.negative && yNegative, 0, exp);
      if (sum >= -MAX_SAFE && sum <= MAX_SAFE)
        return newSmallDecimal(sum < 0, sum < 0 ? -sum : sum, exp);
    }
  }
  const x = decimalParts(a);
  const q = decimalParts(b);
  const y: DecimalParts = subtract
    ? { negative: !q.negative, coefficient: q.coefficient, exponent: q.exponent }
    : q;
  const exp = Math.min(x.exponent, y.exponent);
  const sum = signed(x) * pow10(x.exponent - exp) + signed(y) * pow10(y.exponent - exp);
  if (sum === 0n) {
    // Python: the sum of two zeros of opposite sign (or of x and -x) is +0 under ROUND_HALF_EVEN.
    return fix(x.negative && y.negative, 0n, exp);
  }
  return fix(sum < 0n, sum < 0n ? -sum : sum, exp);
}

export function decimalMul(a: Decimal, b: Decimal): Decimal {
  const s = smallCoefficient(a);
  const t = smallCoefficient(b);
  if (s >= 0 && t >= 0) {
    // A product of two safe integers is exact when it is safe (see scaledSmall), and far below
    // the 28 digits that would round it.
    const p = s * t;
    if (p <= MAX_SAFE) {
      const x = a as unknown as PyDecimal;
      const y = b as unknown as PyDecimal;
      return newSmallDecimal(x.negative !== y.negative, p, x.exponent + y.exponent);
    }
  }
  const x = decimalParts(a);
  const y = decimalParts(b);
  return fix(x.negative !== y.negative, x.coefficient * y.coefficient, x.exponent + y.exponent);
}

export function decimalDiv(a: Decimal, b: Decimal): Decimal {
  const x = decimalParts(a);
  const y = decimalParts(b);
  const negative = x.negative !== y.negative;
  if (y.coefficient === 0n) {
    if (x.coefficient === 0n)
      throw new ExpressionEvalError('InvalidOperation', "[<class 'decimal.DivisionUndefined'>]");
    throw new ExpressionEvalError('DivisionByZero', "[<class 'decimal.DivisionByZero'>]");
  }
  if (x.coefficient === 0n) return fix(negative, 0n, x.exponent - y.exponent);
  const shift = digitCount(y.coefficient) - digitCount(x.coefficient) + PRECISION + 1;
  let exp = x.exponent - y.exponent - shift;
  let coeff: bigint;
  let rem: bigint;
  if (shift >= 0) {
    const num = x.coefficient * pow10(shift);
    coeff = num / y.coefficient;
    rem = num % y.coefficient;
  } else {
    const den = y.coefficient * pow10(-shift);
    coeff = x.coefficient / den;
    rem = x.coefficient % den;
  }
  if (rem !== 0n) {
    if (coeff % 5n === 0n) coeff += 1n;
  } else {
    const ideal = x.exponent - y.exponent;
    while (exp < ideal && coeff % 10n === 0n) {
      coeff /= 10n;
      exp += 1;
    }
  }
  return fix(negative, coeff, exp);
}

/** Python's Decimal `//` and `%`: the quotient truncates toward zero, the remainder has the dividend's sign. */
export function decimalDivMod(a: Decimal, b: Decimal, forRemainder: boolean): [Decimal, Decimal] {
  const x = decimalParts(a);
  const y = decimalParts(b);
  if (y.coefficient === 0n) {
    if (forRemainder)
      throw new ExpressionEvalError('InvalidOperation', "[<class 'decimal.InvalidOperation'>]");
    if (x.coefficient === 0n)
      throw new ExpressionEvalError('InvalidOperation', "[<class 'decimal.DivisionUndefined'>]");
    throw new ExpressionEvalError('DivisionByZero', "[<class 'decimal.DivisionByZero'>]");
  }
  const exp = Math.min(x.exponent, y.exponent);
  const xs = x.coefficient * pow10(x.exponent - exp);
  const ys = y.coefficient * pow10(y.exponent - exp);
  const q = xs / ys;
  const r = xs % ys;
  if (digitCount(q) > PRECISION)
    throw new ExpressionEvalError('InvalidOperation', "[<class 'decimal.DivisionImpossible'>]");
  const quotient = decimalFromParts({
    negative: x.negative !== y.negative,
    coefficient: q,
    exponent: 0,
  });
  const remainder = fix(x.negative, r, exp);
  return [quotient, remainder];
}

export function decimalNegate(a: Decimal): Decimal {
  const x = decimalParts(a);
  // Python: negating a zero gives +0 under ROUND_HALF_EVEN.
  return fix(x.coefficient === 0n ? false : !x.negative, x.coefficient, x.exponent);
}

export function decimalPlus(a: Decimal): Decimal {
  const x = decimalParts(a);
  return fix(x.coefficient === 0n ? false : x.negative, x.coefficient, x.exponent);
}

/** `Decimal ** int` for a non-negative exponent: the exact power, rounded once as Python does. */
export function decimalPowInt(a: Decimal, n: bigint): Decimal {
  const x = decimalParts(a);
  if (n < 0n) {
    if (x.coefficient === 0n) {
      throw new ExpressionEvalError(
        'NotImplementedError',
        'Decimal infinity (zero to a negative power) is not supported',
      );
    }
    return decimalDiv(
      decimalFromParts({ negative: false, coefficient: 1n, exponent: 0 }),
      decimalPowInt(a, -n),
    );
  }
  if (n > 10000n)
    throw new ExpressionEvalError(
      'NotImplementedError',
      'Decimal powers above 10000 are not supported',
    );
  if (x.coefficient === 0n) {
    if (n === 0n)
      throw new ExpressionEvalError('InvalidOperation', "[<class 'decimal.InvalidOperation'>]");
    return decimalFromParts({
      negative: x.negative && n % 2n === 1n,
      coefficient: 0n,
      exponent: 0,
    });
  }
  const k = Number(n);
  return fix(x.negative && k % 2 === 1, x.coefficient ** n, x.exponent * k);
}

export function decimalFromInt(n: bigint): Decimal {
  // A bigint beyond the safe integers converts to a double of magnitude 2^53 or more: not safe.
  const v = Number(n);
  if (Number.isSafeInteger(v)) return newSmallDecimal(v < 0, v < 0 ? -v : v, 0);
  return newDecimal(n < 0n, n < 0n ? -n : n, 0);
}

/** Truncates toward zero, as `int(Decimal)` does. */
export function decimalToInt(d: Decimal): bigint {
  const s = smallCoefficient(d);
  if (s >= 0) {
    const x = d as unknown as PyDecimal;
    let m: number;
    if (x.exponent >= 0) m = scaledSmall(s, x.exponent);
    else if (x.exponent <= -16)
      m = 0; // s < 2^53 < 10^16
    else {
      // s % 10^k is exact (a remainder always is), so s minus it is an exact multiple of 10^k, and
      // the quotient, an integer below s, is what the division rounds to.
      const div = POW10_EXACT[-x.exponent]!;
      m = (s - (s % div)) / div;
    }
    if (m >= 0) return BigInt(x.negative ? -m : m);
  }
  const { negative, coefficient, exponent } = decimalParts(d);
  const magnitude = exponent >= 0 ? coefficient * pow10(exponent) : coefficient / pow10(-exponent);
  return negative ? -magnitude : magnitude;
}

/** The nearest float, as `float(Decimal)` does (JavaScript's string-to-number is correctly rounded). */
export function decimalToFloat(d: Decimal): number {
  const { negative, coefficient, exponent } = decimalParts(d);
  return Number(`${negative ? '-' : ''}${coefficient}e${exponent}`);
}

export function decimalIsZero(d: Decimal): boolean {
  const s = smallCoefficient(d);
  return s >= 0 ? s === 0 : decimalParts(d).coefficient === 0n;
}

/** -1, 0 or 1. */
const sign = (x: number) => (x < 0 ? -1 : x > 0 ? 1 : 0);

/** The sign of d - n, exactly. */
export function decimalCompareInt(d: Decimal, n: bigint): number {
  const s = smallCoefficient(d);
  if (s >= 0) {
    // Safe integers on both sides, once the one with the larger exponent is scaled: exact.
    const v = Number(n);
    if (Number.isSafeInteger(v)) {
      const x = d as unknown as PyDecimal;
      if (x.exponent >= 0) {
        const m = scaledSmall(s, x.exponent);
        if (m >= 0) return sign((x.negative ? -m : m) - v);
      } else {
        const m = scaledSmall(v < 0 ? -v : v, -x.exponent);
        if (m >= 0) return sign((x.negative ? -s : s) - (v < 0 ? -m : m));
      }
    }
  }
  const x = decimalParts(d);
  const c = x.negative ? -x.coefficient : x.coefficient;
  const l = x.exponent >= 0 ? c * pow10(x.exponent) : c;
  const r = x.exponent >= 0 ? n : n * pow10(-x.exponent);
  return l < r ? -1 : l > r ? 1 : 0;
}

export function decimalRepr(d: Decimal): string {
  return `Decimal('${decimalToString(d)}')`;
}
