import Decimal from 'decimal.js';
import fc from 'fast-check';
import {
  bigFormDecimal,
  decimalAdd,
  decimalCompareInt,
  decimalFromInt,
  decimalIsZero,
  decimalMul,
  decimalParts,
  decimalToInt,
  decimalToString,
  isDecimal,
  newDecimal,
  parseDecimalText,
  PyDecimalCtor,
} from './py-decimal';
import { compareNumbers } from './py-value';

/** Decimal texts of every shape Python reads: signs, trailing zeros, exponents, long digits. */
const decimalText = fc
  .tuple(
    fc.constantFrom('', '-', '+'),
    fc.stringMatching(/^\d{1,30}$/),
    fc.option(fc.stringMatching(/^\d{0,12}$/), { nil: undefined }),
    fc.option(fc.integer({ min: -40, max: 40 }), { nil: undefined }),
  )
  .map(
    ([sign, i, f, e]) =>
      `${sign}${i}${f === undefined ? '' : `.${f}`}${e === undefined ? '' : `e${e}`}`,
  );

describe('Decimals made without decimal.js still are decimal.js values', () => {
  test('instanceof, methods and conversions see the same number', () => {
    fc.assert(
      fc.property(decimalText, (text) => {
        const d = parseDecimalText(text)!;
        // The context decimal.js methods of these values use: Python's 28 digits.
        const reference = new PyDecimalCtor(text);
        expect(d).toBeInstanceOf(Decimal);
        expect(isDecimal(d)).toBe(true);
        expect(d.eq(reference)).toBe(true);
        expect(d.toString()).toBe(reference.toString());
        expect(new Decimal(d).toString()).toBe(reference.toString());
        expect(JSON.stringify(d)).toBe(JSON.stringify(reference));
        expect(d.times(3).toString()).toBe(reference.times(3).toString());
      }),
    );
  });

  test('the Python form is kept beside decimal.js fields once those are read', () => {
    const d = parseDecimalText('1.50')!;
    expect(d.toFixed(3)).toBe('1.500');
    expect(decimalToString(d)).toBe('1.50');
    expect(decimalToString(decimalMul(d, newDecimal(false, 2n, 0)))).toBe('3.00');
  });

  test('a decimal.js value made elsewhere gets its parts', () => {
    expect(decimalToString(new Decimal('2.5e3'))).toBe('2.5E+3');
    expect(decimalToString(decimalMul(new Decimal('0.5'), newDecimal(false, 4n, 0)))).toBe('2.0');
  });
});

describe('comparing a Decimal with an int is exact', () => {
  test('as decimal.js compares them', () => {
    fc.assert(
      fc.property(decimalText, fc.bigInt({ min: -(10n ** 32n), max: 10n ** 32n }), (text, n) => {
        const d = parseDecimalText(text)!;
        const expected = new Decimal(text).cmp(n.toString());
        expect(compareNumbers(d, n)).toBe(expected);
        expect(compareNumbers(n, d)).toBe(-expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the safe-integer fast paths give what the BigInt paths give', () => {
  /** Coefficients around the edges: zero, one, small, just below and above 2^53, 28 digits. */
  const COEFFICIENTS = [
    0n,
    1n,
    7n,
    100n,
    12345n,
    94906265n,
    94906266n,
    2n ** 26n + 1n,
    999999999999999n,
    2n ** 53n - 1n,
    2n ** 53n,
    2n ** 53n + 1n,
    10n ** 27n + 3n,
  ];
  const EXPONENTS = [-30, -17, -16, -15, -2, -1, 0, 1, 2, 15, 23];
  const values = COEFFICIENTS.flatMap((c) =>
    EXPONENTS.flatMap((e) => [false, true].map((neg) => ({ neg, c, e }))),
  );
  const fast = (v: { neg: boolean; c: bigint; e: number }) => newDecimal(v.neg, v.c, v.e);
  const slow = (v: { neg: boolean; c: bigint; e: number }) => bigFormDecimal(v.neg, v.c, v.e);
  /** Python's form of a result: its text, sign and digits (a Decimal's equal fields). */
  const form = (d: Decimal) => {
    const p = decimalParts(d);
    return `${p.negative ? '-' : '+'}${p.coefficient}e${p.exponent} ${decimalToString(d)}`;
  };
  const INTS = [0n, 1n, -1n, 100n, -100n, 2n ** 31n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n) - 1n];

  test('a Decimal made by newDecimal keeps its parts', () => {
    for (const v of values) expect(form(fast(v))).toBe(form(slow(v)));
  });

  test('+, - and * of two Decimals', () => {
    const sample = values.filter((_, i) => i % 3 === 0);
    for (const x of sample) {
      for (const y of sample) {
        expect(form(decimalMul(fast(x), fast(y)))).toBe(form(decimalMul(slow(x), slow(y))));
        expect(form(decimalAdd(fast(x), fast(y)))).toBe(form(decimalAdd(slow(x), slow(y))));
        expect(form(decimalAdd(fast(x), fast(y), true))).toBe(
          form(decimalAdd(slow(x), slow(y), true)),
        );
      }
    }
  });

  test('int(), truthiness, str() and comparison with an int', () => {
    for (const v of values) {
      expect(decimalToInt(fast(v))).toBe(decimalToInt(slow(v)));
      expect(decimalIsZero(fast(v))).toBe(decimalIsZero(slow(v)));
      expect(decimalToString(fast(v))).toBe(decimalToString(slow(v)));
      for (const n of [...INTS, decimalToInt(slow(v)), decimalToInt(slow(v)) + 1n]) {
        expect(decimalCompareInt(fast(v), n)).toBe(decimalCompareInt(slow(v), n));
      }
    }
  });

  test('an int as a Decimal', () => {
    for (const n of [...INTS, 2n ** 53n + 1n, -(10n ** 30n)]) {
      const neg = n < 0n;
      expect(form(decimalFromInt(n))).toBe(form(bigFormDecimal(neg, neg ? -n : n, 0)));
    }
  });

  test('random operands agree too', () => {
    const operand = fc.record({
      neg: fc.boolean(),
      c: fc.oneof(
        fc.bigInt({ min: 0n, max: 10n ** 6n }),
        fc.bigInt({ min: 0n, max: 2n ** 54n }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
      ),
      e: fc.integer({ min: -25, max: 25 }),
    });
    fc.assert(
      fc.property(operand, operand, fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), (x, y, n) => {
        expect(form(decimalMul(fast(x), fast(y)))).toBe(form(decimalMul(slow(x), slow(y))));
        expect(form(decimalAdd(fast(x), fast(y)))).toBe(form(decimalAdd(slow(x), slow(y))));
        expect(form(decimalAdd(fast(x), fast(y), true))).toBe(
          form(decimalAdd(slow(x), slow(y), true)),
        );
        expect(decimalToInt(fast(x))).toBe(decimalToInt(slow(x)));
        expect(decimalCompareInt(fast(x), n)).toBe(decimalCompareInt(slow(x), n));
      }),
      { numRuns: 3000 },
    );
  });
});
