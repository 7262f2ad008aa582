import Decimal from 'decimal.js';
import fc from 'fast-check';
import {
  decimalMul,
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
