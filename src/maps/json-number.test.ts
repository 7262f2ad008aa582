import { NUMBER, readNumber } from './json-number';

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
});
