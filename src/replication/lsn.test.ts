import {
  compareLsn,
  formatLsn,
  INVALID_LSN,
  InvalidLsnError,
  type Lsn,
  lsnFromBigInt,
  lsnFromStateInt,
  lsnToStateInt,
  MAX_LSN,
  maxLsn,
  parseLsn,
  readLsn,
} from './lsn';

const TWO_53 = 2n ** 53n;

describe('parseLsn / formatLsn', () => {
  it.each<[string, bigint, string]>([
    ['0/0', 0n, '0/0'],
    ['0/16B6C50', 0x16b6c50n, '0/16B6C50'],
    ['16/B374D848', 0x16_b374_d848n, '16/B374D848'],
    ['16/b374d848', 0x16_b374_d848n, '16/B374D848'],
    ['00000016/0B374D84', 0x16_0b37_4d84n, '16/B374D84'],
    ['1/0', 0x1_0000_0000n, '1/0'],
    ['0/FFFFFFFF', 0xffff_ffffn, '0/FFFFFFFF'],
    ['FFFFFFFF/FFFFFFFF', 0xffff_ffff_ffff_ffffn, 'FFFFFFFF/FFFFFFFF'],
  ])('%s is %d and prints as %s', (text, value, printed) => {
    const lsn = parseLsn(text);
    expect(lsn).toBe(value);
    expect(formatLsn(lsn)).toBe(printed);
    expect(parseLsn(formatLsn(lsn))).toBe(lsn);
  });

  it.each([
    [''],
    ['0'],
    ['/'],
    ['0/'],
    ['/0'],
    ['16-B374D848'],
    ['16/B374D848/0'],
    ['123456789/0'],
    ['0/123456789'],
    ['-1/0'],
    ['0x16/0'],
    [' 16/B374D848'],
    ['16/B374D848 '],
    ['G/0'],
  ])('rejects %j', (text) => {
    expect(() => parseLsn(text)).toThrow(InvalidLsnError);
    expect(() => parseLsn(text)).toThrow(/invalid LSN/);
  });

  it('INVALID_LSN is 0/0 and MAX_LSN is FFFFFFFF/FFFFFFFF', () => {
    expect(formatLsn(INVALID_LSN)).toBe('0/0');
    expect(formatLsn(MAX_LSN)).toBe('FFFFFFFF/FFFFFFFF');
  });
});

describe('lsnFromBigInt', () => {
  it.each([[-1n], [2n ** 64n]])('rejects %d', (v) => {
    expect(() => lsnFromBigInt(v)).toThrow(InvalidLsnError);
  });
  it('accepts the bounds', () => {
    expect(lsnFromBigInt(0n)).toBe(INVALID_LSN);
    expect(lsnFromBigInt(2n ** 64n - 1n)).toBe(MAX_LSN);
  });
});

describe('state integer', () => {
  it.each<[number | bigint | string, string]>([
    [0, '0/0'],
    [23817296, '0/16B6C50'],
    [0x16_b374_d848, '16/B374D848'],
    [Number.MAX_SAFE_INTEGER, '1FFFFF/FFFFFFFF'],
    [97_500_000_000n, '16/B373EF00'],
    ['97500000000', '16/B373EF00'],
    ['18446744073709551615', 'FFFFFFFF/FFFFFFFF'],
    [18446744073709551615n, 'FFFFFFFF/FFFFFFFF'],
  ])('%p is %s', (n, text) => {
    expect(formatLsn(lsnFromStateInt(n))).toBe(text);
  });

  it('is (hi << 32) + lo', () => {
    expect(lsnToStateInt(parseLsn('16/B374D848'))).toBe(0x16 * 2 ** 32 + 0xb374d848);
    expect(lsnToStateInt(INVALID_LSN)).toBe(0);
  });

  it.each([[0], [1], [23817296], [0x16_b374_d848], [Number.MAX_SAFE_INTEGER]])(
    'round-trips %d',
    (n) => {
      expect(lsnToStateInt(lsnFromStateInt(n))).toBe(n);
    },
  );

  it.each<[number | bigint | string]>([
    [-1],
    [1.5],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [Number.MAX_SAFE_INTEGER + 1],
    [-1n],
    [2n ** 64n],
    [''],
    ['-1'],
    ['1.5'],
    ['1e3'],
    [' 1'],
    ['0x10'],
    ['18446744073709551616'],
  ])('rejects %p', (n) => {
    expect(() => lsnFromStateInt(n)).toThrow(InvalidLsnError);
  });

  it('refuses to store an LSN beyond Number.MAX_SAFE_INTEGER', () => {
    expect(() => lsnToStateInt(lsnFromBigInt(TWO_53))).toThrow(/precision/);
    expect(() => lsnToStateInt(MAX_LSN)).toThrow(InvalidLsnError);
  });
});

describe('ordering', () => {
  // Above 2^53 adjacent integers collapse to one double; as bigints they stay distinct.
  const beyond = [TWO_53 + 2n, TWO_53, MAX_LSN, TWO_53 + 1n, 0n, TWO_53 - 1n].map(lsnFromBigInt);

  it('sorts LSNs beyond 2^53 exactly', () => {
    expect([...beyond].sort(compareLsn)).toEqual([
      0n,
      TWO_53 - 1n,
      TWO_53,
      TWO_53 + 1n,
      TWO_53 + 2n,
      2n ** 64n - 1n,
    ]);
  });

  it.each<[string, string, -1 | 0 | 1]>([
    ['0/0', '0/0', 0],
    ['0/1', '0/0', 1],
    ['0/FFFFFFFF', '1/0', -1],
    ['200000/0', '200000/1', -1],
    ['FFFFFFFF/FFFFFFFF', 'FFFFFFFF/FFFFFFFE', 1],
  ])('compareLsn(%s, %s) = %d', (a, b, expected) => {
    expect(compareLsn(parseLsn(a), parseLsn(b))).toBe(expected);
  });

  it('maxLsn picks the largest', () => {
    expect(maxLsn(INVALID_LSN)).toBe(INVALID_LSN);
    expect(maxLsn(...(beyond as [Lsn, ...Lsn[]]))).toBe(MAX_LSN);
    expect(maxLsn(lsnFromBigInt(TWO_53 + 1n), lsnFromBigInt(TWO_53))).toBe(TWO_53 + 1n);
  });
});

describe('readLsn', () => {
  it('reads a big-endian unsigned 64-bit LSN at an offset', () => {
    const buf = Buffer.from([0xaa, 0, 0, 0, 0x16, 0xb3, 0x74, 0xd8, 0x48, 0xbb]);
    expect(formatLsn(readLsn(buf, 1))).toBe('16/B374D848');
    expect(readLsn(Buffer.alloc(8, 0xff), 0)).toBe(MAX_LSN);
  });

  it.each([
    [Buffer.alloc(7), 0],
    [Buffer.alloc(10), 3],
    [Buffer.alloc(10), -1],
  ])('refuses to read past the end (%#)', (buf, offset) => {
    expect(() => readLsn(buf, offset)).toThrow(InvalidLsnError);
  });
});
