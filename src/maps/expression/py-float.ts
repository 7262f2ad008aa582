import { ExpressionEvalError } from './errors';

/** Python's `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16 on. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sci = Math.abs(x).toExponential(); // shortest digits that round-trip
  const e = sci.indexOf('e');
  const digits = sci.slice(0, e).replace('.', '');
  const exp = Number(sci.slice(e + 1));
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const mantissa = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    const expText = String(Math.abs(exp)).padStart(2, '0');
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${expText}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** A finite float as an exact binary fraction: x = mantissa * 2^exponent. */
export function floatParts(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (biased === 0) {
    exponent = -1074;
  } else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  if (hi >>> 31 === 1) mantissa = -mantissa;
  return { mantissa, exponent };
}

/** Python's int-to-float conversion, with its OverflowError. */
export function intToFloat(n: bigint): number {
  const x = Number(n);
  if (!Number.isFinite(x))
    throw new ExpressionEvalError('OverflowError', 'int too large to convert to float');
  return x;
}

const TWO_53 = 2n ** 53n;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** `int / int`: the correctly rounded quotient, also for integers beyond 2^53. */
export function intTrueDivide(a: bigint, b: bigint): number {
  if (b === 0n) throw new ExpressionEvalError('ZeroDivisionError', 'division by zero');
  const negative = a < 0n !== b < 0n;
  const x = a < 0n ? -a : a;
  const y = b < 0n ? -b : b;
  if (x <= TWO_53 && y <= TWO_53) return Number(a) / Number(b);
  if (x === 0n) return negative ? -0 : 0;
  // Scale so the quotient has at least 55 bits, fold the remainder into a sticky bit, then let
  // the bigint-to-number conversion (round half to even) do the single rounding.
  const shift = 55 - (bitLength(x) - bitLength(y));
  let q: bigint;
  let r: bigint;
  if (shift >= 0) {
    const num = x << BigInt(shift);
    q = num / y;
    r = num % y;
  } else {
    const den = y << BigInt(-shift);
    q = x / den;
    r = x % den;
  }
  if (r !== 0n) q |= 1n;
  let result = Number(q) * Math.pow(2, -shift);
  if (!Number.isFinite(result) || Math.abs(-shift) > 1000) {
    // Scale in two steps so that very large or small exponents neither overflow nor underflow early.
    const half = Math.trunc(-shift / 2);
    result = Number(q) * Math.pow(2, half) * Math.pow(2, -shift - half);
  }
  if (!Number.isFinite(result))
    throw new ExpressionEvalError('OverflowError', 'integer division result too large for a float');
  return negative ? -result : result;
}

/** Python's float `%`: the result has the divisor's sign. */
export function floatMod(a: number, b: number): number {
  if (b === 0) throw new ExpressionEvalError('ZeroDivisionError', 'float modulo');
  let mod = a % b;
  if (mod !== 0) {
    if (b < 0 !== mod < 0) mod += b;
  } else {
    mod = b < 0 ? -0 : 0;
  }
  return mod;
}

/** Python's float `//` (floor of the exact quotient, as CPython's float_floor_div computes it). */
export function floatFloorDiv(a: number, b: number): number {
  if (b === 0) throw new ExpressionEvalError('ZeroDivisionError', 'float floor division by zero');
  let mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0) {
    if (b < 0 !== mod < 0) {
      mod += b;
      div -= 1;
    }
  }
  if (div !== 0) {
    let floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
    return floordiv;
  }
  return a / b < 0 || Object.is(a / b, -0) ? -0 : 0;
}

/** Python's float `**`, with its errors instead of NaN where Python raises. */
export function floatPow(a: number, b: number): number {
  if (b === 0) return 1;
  if (a === 1) return 1;
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === 0 && b < 0)
    throw new ExpressionEvalError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
  if (a < 0 && Number.isFinite(b) && !Number.isInteger(b)) {
    throw new ExpressionEvalError(
      'NotImplementedError',
      'complex numbers (a negative number to a fractional power) are not supported',
    );
  }
  if (a === -1 && !Number.isFinite(b)) return 1;
  if (Number.isInteger(b) && Math.abs(b) <= 1024 && Number.isFinite(a) && a !== 0)
    return exactIntegerPow(a, b);
  const r = Math.pow(a, b);
  if (!Number.isFinite(r) && Number.isFinite(a) && Number.isFinite(b)) {
    throw new ExpressionEvalError('OverflowError', "(34, 'Numerical result out of range')");
  }
  return r;
}

/**
 * `float ** int`, correctly rounded from the exact power (V8's Math.pow can be off by one unit in
 * the last place where Python's libm pow is not).
 */
function exactIntegerPow(a: number, b: number): number {
  const { mantissa, exponent } = floatParts(a);
  const n = BigInt(Math.abs(b));
  const num = mantissa ** n;
  const exp2 = exponent * Math.abs(b);
  let r: number;
  try {
    if (b > 0) {
      r = exp2 >= 0 ? Number(num << BigInt(exp2)) : intTrueDivide(num, 1n << BigInt(-exp2));
    } else {
      r =
        exp2 >= 0
          ? intTrueDivide(1n, num << BigInt(exp2))
          : intTrueDivide(1n << BigInt(-exp2), num);
    }
  } catch (e) {
    if (e instanceof ExpressionEvalError && e.pyClass === 'OverflowError') r = Infinity;
    else throw e;
  }
  if (!Number.isFinite(r))
    throw new ExpressionEvalError('OverflowError', "(34, 'Numerical result out of range')");
  return r;
}
