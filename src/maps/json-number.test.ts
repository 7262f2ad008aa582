import { NUMBER, readNumber } from './json-number';
import { seededRandom } from './testing/seeded-random';

/** readNumber reads JSON numbers, and a number column's text as PostgreSQL sends it. */
describe('readNumber', () => {
  const read = (text: string) => {
    const b = Buffer.from(`[${text}]`);
    return readNumber(b, 1, b.length - 1) ? { ...NUMBER } : null;
  };

  it.each([
    ['0', { negative: false, coefficient: 0, scale: 0 }],
    ['-0', { negative: true, coefficient: 0, scale: 0 }],
    ['-0.00', { negative: true, coefficient: 0, scale: 2 }],
    ['0.5', { negative: false, coefficient: 5, scale: 1 }],
    ['12.50', { negative: false, coefficient: 1250, scale: 2 }],
    ['-7', { negative: true, coefficient: 7, scale: 0 }],
    ['999999999999999', { negative: false, coefficient: 999999999999999, scale: 0 }],
  ])('%s', (text, value) => {
    expect(read(text)).toEqual(value);
  });

  it.each([
    '012', // a leading zero: neither JSON nor PostgreSQL's output
    '-01.5',
    '00',
    '1e5',
    '1.',
    '.5',
    '-',
    '',
    '1.2.3',
    'NaN',
    '"1"',
    '1234567890123456', // more than 15 digits
  ])('refuses %j', (text) => {
    expect(read(text)).toBeNull();
  });

  it('reads generated numbers of every length and point as BigInt does', () => {
    const random = seededRandom(15);
    const digit = () => String(Math.floor(random() * 10));
    for (let i = 0; i < 20000; i++) {
      const n = 1 + Math.floor(random() * 17);
      let digits = Array.from({ length: n }, digit).join('');
      if (digits.length > 1 && random() < 0.8)
        digits = String(1 + Math.floor(random() * 9)) + digits.slice(1);
      const at = Math.floor(random() * (n + 1));
      const text = `${random() < 0.3 ? '-' : ''}${at > 0 && at < n && random() < 0.6 ? `${digits.slice(0, at)}.${digits.slice(at)}` : digits}`;
      const point = text.indexOf('.');
      const whole = text.replace('-', '').replace('.', '');
      const valid =
        whole.length <= 15 &&
        !(whole.length > 1 && whole[0] === '0' && point !== (text[0] === '-' ? 2 : 1));
      const got = read(text);
      if (!valid) {
        expect(got).toBeNull();
        continue;
      }
      expect(got).toEqual({
        negative: text.startsWith('-'),
        coefficient: Number(BigInt(whole)),
        scale: point < 0 ? 0 : text.length - point - 1,
      });
    }
  });
});
