import { absorbs } from './stream-shape';

describe('absorbs', () => {
  it.each([
    [
      'int4 → int8',
      { type: ['null', 'integer'], minimum: -1, maximum: 1 },
      { type: ['null', 'integer'] },
      true,
    ],
    ['varchar(10) → text', { type: ['null', 'string'], maxLength: 10 }, { type: ['string'] }, true],
    ['integer → string', { type: ['null', 'integer'] }, { type: ['null', 'string'] }, false],
    ['integer → number', { type: ['null', 'integer'] }, { type: ['null', 'number'] }, false],
    [
      'timestamp → text',
      { type: ['null', 'string'], format: 'date-time' },
      { type: ['null', 'string'] },
      false,
    ],
    [
      'int4[] → int8[]',
      { type: ['null', 'array'], items: { type: ['null', 'integer'], maximum: 5 } },
      { type: ['null', 'array'], items: { type: ['null', 'integer'] } },
      true,
    ],
    [
      'int[] → text[]',
      { type: ['null', 'array'], items: { type: ['null', 'integer'] } },
      { type: ['null', 'array'], items: { type: ['null', 'string'] } },
      false,
    ],
    [
      'text → text[]',
      { type: ['null', 'string'] },
      { type: ['null', 'array'], items: { type: ['null', 'string'] } },
      false,
    ],
  ])('%s', (_n, before, after, expected) => {
    expect(absorbs(before, after)).toBe(expected);
  });
});
