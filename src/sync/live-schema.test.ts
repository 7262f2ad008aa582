import type { SelectedStream } from '../catalog/stream-selection';
import { resolved } from '../values/testing/conversion-cases';
import { withLiveTypes } from './live-schema';

const INT4 = { type: ['null', 'integer'], minimum: -2147483648, maximum: 2147483647 };

function stream(property: Record<string, unknown>, sqlDatatype?: string): SelectedStream {
  return {
    columns: ['v'],
    keyProperties: [],
    schema: { type: 'object', properties: { v: property } },
    sqlDatatypes: sqlDatatype === undefined ? {} : { v: sqlDatatype },
  } as unknown as SelectedStream;
}

describe('withLiveTypes', () => {
  it.each([
    ['unchanged type', INT4, 'int4', 'int4', INT4],
    ['int4 → text after discovery', INT4, 'int4', 'text', { type: ['null', 'string'] }],
    ['int4 → int8 after discovery', INT4, 'int4', 'int8', { type: ['null', 'integer'] }],
    ['a catalog without sql-datatype', INT4, undefined, 'text', { type: ['null', 'string'] }],
    [
      'an edited property of an unchanged type',
      { type: ['null', 'string'] },
      'text',
      'text',
      {
        type: ['null', 'string'],
      },
    ],
    [
      'an edit, kept',
      { type: ['string'], maxLength: 3 },
      'text',
      'text',
      {
        type: ['string'],
        maxLength: 3,
      },
    ],
  ])('%s', (_n, property, discovered, live, expected) => {
    const type = { ...resolved(live), sqlType: live };
    const r = withLiveTypes(stream(property, discovered), [type]);
    expect(r.stream.schema.properties).toEqual({ v: expected });
    const replaced = JSON.stringify(property) !== JSON.stringify(expected);
    expect(r.retyped).toEqual(replaced ? [{ column: 'v', discovered, live }] : []);
  });
});

describe('withLiveTypes and composites', () => {
  const pair = (attributes: string[]) => ({
    sqlType: 'pair',
    base: {
      name: 'pair',
      schema: 'public',
      typtype: 'c' as const,
      category: 'C',
      attributes: attributes.map((name) => ({ name, type: resolved('text') })),
    },
    arrayDims: 0,
    domains: [],
  });
  const object = (names: string[]) => ({
    type: ['null', 'object'],
    properties: Object.fromEntries(names.map((n) => [n, { type: ['null', 'string'] }])),
  });

  it.each([
    ['an attribute added since discovery', object(['a']), ['a', 'b'], true, object(['a', 'b'])],
    [
      'discovered without composite_as_object',
      { type: ['null', 'string'] },
      ['a'],
      true,
      object(['a']),
    ],
    [
      'discovered with it, synced without',
      object(['a']),
      ['a'],
      false,
      { type: ['null', 'string'] },
    ],
    ['unchanged', object(['a']), ['a'], true, object(['a'])],
  ])(
    '%s: the property follows the type now, though sql-datatype names it still',
    (_what, property, attributes, compositeAsObject, expected) => {
      const r = withLiveTypes(
        stream(property, 'pair'),
        [pair(attributes)],
        new Set(),
        compositeAsObject,
      );
      expect(r.stream.schema.properties).toEqual({ v: expected });
    },
  );
});
