import { spawnSync } from 'node:child_process';
import type Decimal from 'decimal.js';
import {
  compileExpression,
  decimalToString,
  pyFromJson,
  pyRepr,
  pyToJson,
  pyTypeName,
} from './index';

describe('pyFromJson reads JSON as the SDK does (integers int, other numbers Decimal)', () => {
  test.each([
    ['9007199254740993', 'int', '9007199254740993'],
    [
      '-123456789012345678901234567890123456789012',
      'int',
      '-123456789012345678901234567890123456789012',
    ],
    ['-0', 'int', '0'],
    ['1.0', 'decimal.Decimal', "Decimal('1.0')"],
    ['1.50', 'decimal.Decimal', "Decimal('1.50')"],
    ['-0.0', 'decimal.Decimal', "Decimal('-0.0')"],
    ['1e400', 'decimal.Decimal', "Decimal('1E+400')"],
    ['1E-400', 'decimal.Decimal', "Decimal('1E-400')"],
    ['0.0000001', 'decimal.Decimal', "Decimal('1E-7')"],
    [
      '12345678901234567890.12345678901234567890',
      'decimal.Decimal',
      "Decimal('12345678901234567890.12345678901234567890')",
    ],
    ['"\\u00e9\\ud83d\\ude00\\n\\"\\\\\\/"', 'str', "'é😀\\n\"\\\\/'"],
    ['{"b": 1, "a": [true, false, null]}', 'dict', "{'b': 1, 'a': [True, False, None]}"],
    ['{"a": 1, "a": 2}', 'dict', "{'a': 2}"],
  ])('%s', (json, type, repr) => {
    const v = pyFromJson(json);
    expect(pyTypeName(v)).toBe(type);
    expect(pyRepr(v)).toBe(repr);
  });

  test.each([
    '',
    '01',
    '1.',
    '.5',
    '+1',
    'NaN',
    'Infinity',
    '[1,]',
    '{"a" 1}',
    '"\u0001"',
    '"\\x41"',
    'nul',
    '1 2',
  ])('rejects %j', (json) => {
    expect(() => pyFromJson(json)).toThrow(/JSONDecodeError/);
  });
});

describe('pyToJson writes what the SDK serializer writes', () => {
  test.each([
    ['9007199254740993', '9007199254740993'],
    ['1.50', '1.50'],
    ['1e400', '1E+400'],
    ['-0.0', '-0.0'],
    ['123456789012345678901234567890.123456789012', '123456789012345678901234567890.123456789012'],
    ['{"b":[1,{"c":"é"}],"a":null}', '{"b":[1,{"c":"é"}],"a":null}'],
    ['"\\u0000\\u001f\\u2028\\ud83d\\ude00"', '"\\u0000\\u001f\u2028😀"'],
  ])('round trip of %s', (json, written) => {
    const once = pyToJson(pyFromJson(json));
    expect(once).toBe(written);
    // Writing what was read gives the same text again: nothing drifts through repeated maps.
    expect(pyToJson(pyFromJson(once))).toBe(once);
  });

  test.each([
    ['1.0', '1.0'],
    ['1e16', '1e+16'],
    ['0.1', '0.1'],
    ["float('nan')", 'null'],
    ["float('inf')", 'null'],
    ['(1, None)', '[1,null]'],
    ['2 ** 70', '1180591620717411303424'],
    ['datetime.datetime(2024, 1, 2, 3, 4, 5, 6)', '"2024-01-02T03:04:05.000006"'],
    ['datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc)', '"2024-01-02T00:00:00+00:00"'],
    ['datetime.date(2024, 1, 2)', '"2024-01-02"'],
    ['datetime.timedelta(days=1, seconds=2)', '"1 day, 0:00:02"'],
    ['md5', '"<built-in function md5>"'],
  ])('%s', (expr, json) => {
    expect(pyToJson(compileExpression(expr).evaluate({ lookup: () => undefined }))).toBe(json);
  });

  test('a generated document survives read, write, read exactly', () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const digits = (n: number): string =>
      Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('');
    const number = (): string => {
      const sign = rnd() < 0.3 ? '-' : '';
      const int =
        rnd() < 0.2 ? '0' : String(1 + Math.floor(rnd() * 9)) + digits(Math.floor(rnd() * 40));
      const frac = rnd() < 0.5 ? '.' + digits(1 + Math.floor(rnd() * 30)) : '';
      const exp = rnd() < 0.3 ? `e${rnd() < 0.5 ? '-' : '+'}${Math.floor(rnd() * 500)}` : '';
      return sign + int + frac + exp;
    };
    for (let i = 0; i < 500; i++) {
      const text = number();
      const v = pyFromJson(text);
      // The value is exact: the written text denotes the same number as the input.
      const written = pyToJson(v);
      expect(pyRepr(pyFromJson(written))).toBe(pyRepr(v));
      if (typeof v === 'bigint') expect(written).toBe(BigInt(text).toString());
      else expect(normalize(written)).toBe(normalize(text));
    }
  });
});

/** A canonical form of a decimal number's value: sign, digits without leading/trailing zeros, exponent. */
function normalize(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text)!;
  let digits = m[2]! + (m[3] ?? '');
  let exp = Number(m[4] ?? 0) - (m[3] ?? '').length;
  digits = digits.replace(/^0+/, '');
  if (digits === '') return '0';
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exp++;
  }
  return `${m[1]}${digits}e${exp}`;
}

const python = spawnSync('python3', ['--version']).status === 0;
(python || process.env['CI'] !== undefined ? test : test.skip)(
  'Decimal text matches Python str() for generated values',
  () => {
    const values = Array.from({ length: 300 }, (_, i) => {
      const exp = (i % 60) - 30;
      const digits = String(BigInt(i + 1) ** BigInt(1 + (i % 7)));
      return `${i % 3 === 0 ? '-' : ''}${digits}e${exp}`;
    });
    const script =
      'import sys, json\nfrom decimal import Decimal\nprint(json.dumps([str(Decimal(v)) for v in json.load(sys.stdin)]))';
    const run = spawnSync('python3', ['-c', script], {
      input: JSON.stringify(values),
      encoding: 'utf8',
    });
    const expected = JSON.parse(run.stdout) as string[];
    expect(values.map((v) => decimalToString(pyFromJson(v) as Decimal))).toEqual(expected);
  },
);
