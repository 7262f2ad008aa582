import type { BaseType } from '../../types/resolved-type';
import { jsonSchemaFor } from '../../types/json-schema-mapping';
import { absorbs, jsonKind, nullableProperty } from './stream-shape';

const keyTimestamp = (format?: string) => ({
  anyOf: [{ type: ['string'], ...(format ? { format } : {}) }, { type: ['string'] }],
});

const arrayOf = (name: string, category: string) =>
  jsonSchemaFor(
    {
      sqlType: `${name}[]`,
      base: { name, schema: 'pg_catalog', typtype: 'b', category } satisfies BaseType,
      arrayDims: 1,
      domains: [],
    },
    { nullable: true },
  );

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
    ['key timestamp → key timestamptz', keyTimestamp('date-time'), keyTimestamp('date-time'), true],
    ['key timestamp → key text', keyTimestamp('date-time'), { type: ['string'] }, false],
    // Discovered array schemas nest every depth under `anyOf`; the element decides.
    ['int4[] → int8[] (nested items)', arrayOf('int4', 'N'), arrayOf('int8', 'N'), true],
    ['int4[] → text[] (nested items)', arrayOf('int4', 'N'), arrayOf('text', 'S'), false],
    [
      'int4[] of an older catalog → int8[]',
      { type: ['null', 'array'], items: { type: ['null', 'integer'] } },
      arrayOf('int8', 'N'),
      true,
    ],
  ])('%s', (_n, before, after, expected) => {
    expect(absorbs(before, after)).toBe(expected);
  });
});

describe('nullableProperty', () => {
  it('adds null to the first branch of a key property', () => {
    expect(nullableProperty(keyTimestamp('date-time'))).toEqual({
      anyOf: [{ type: ['null', 'string'], format: 'date-time' }, { type: ['string'] }],
    });
  });
});

describe('jsonKind', () => {
  const INT = { type: ['null', 'integer'] };
  const address = (extra: Record<string, unknown> = {}) => ({
    type: ['null', 'object'],
    properties: { street: { type: ['null', 'string'] }, zip: INT, ...extra },
  });

  it.each([
    ['an integer', INT, 'integer'],
    ['an array', { type: ['null', 'array'], items: INT }, 'array[integer]'],
    ['hstore keeps its kind', { type: ['null', 'object'], additionalProperties: INT }, 'object'],
    ['a composite as an object', address(), 'object{"street":string,"zip":integer}'],
    [
      'an array of composites',
      { type: ['null', 'array'], items: { anyOf: [address(), { type: ['array'] }] } },
      'array[object{"street":string,"zip":integer}]',
    ],
  ])('%s', (_what, property, kind) => {
    expect(jsonKind(property)).toBe(kind);
  });

  it("changes when a composite's attributes change, so LOG_BASED copies the stream again", () => {
    const before = jsonKind(address());
    expect(jsonKind(address({ floor: INT }))).not.toBe(before);
    expect(jsonKind(address({ zip: { type: ['null', 'string'] } }))).not.toBe(before);
    expect(jsonKind({ type: ['null', 'string'] })).not.toBe(before);
  });
});
