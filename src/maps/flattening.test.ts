import { InputError } from '../errors';
import {
  flattenKey,
  flattenRecordEntries,
  flattenSchema,
  flatteningOptionsOf,
  type FlatteningOptions,
  type JsonEntry,
} from './flattening';

const opts = (maxDepth: number, more: Partial<FlatteningOptions> = {}): FlatteningOptions => ({
  maxDepth,
  separator: '__',
  maxKeyLength: 255,
  ...more,
});

// The SDK's own docstring example (singer_sdk/helpers/_flattening.py).
const nested = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    foo: {
      type: 'object',
      properties: {
        bar: {
          type: 'object',
          properties: {
            baz: { type: 'object', properties: { qux: { type: 'string' } } },
          },
        },
      },
    },
  },
};

describe('flatteningOptionsOf', () => {
  it.each([
    [{}, null],
    [{ flattening_enabled: false, flattening_max_depth: 3 }, null],
    [{ flattening_enabled: true, flattening_max_depth: 0 }, null],
    [{ flattening_enabled: 'true', flattening_max_depth: '2' }, opts(2)],
    [
      { flattening_enabled: true, flattening_max_depth: 1, flattening_separator: '.' },
      opts(1, { separator: '.' }),
    ],
  ])('%j', (raw, expected) => {
    expect(flatteningOptionsOf(raw)).toEqual(expected);
  });

  it.each([
    [{ flattening_enabled: true }, /flattening_max_depth' is not set/],
    [{ flattening_enabled: true, flattening_max_depth: -1 }, /at least 0/],
    [{ flattening_enabled: true, flattening_max_depth: 1.5 }, /integer/],
    [{ flattening_enabled: true, flattening_max_depth: 1, flattening_separator: '' }, /separator/],
  ])('%j is a config error', (raw, message) => {
    expect(() => flatteningOptionsOf(raw)).toThrow(InputError);
    expect(() => flatteningOptionsOf(raw)).toThrow(message);
  });
});

describe('flattenKey', () => {
  it.each([
    ['foo', ['bar', 'baz'], opts(9), 'bar__baz__foo'],
    ['foo', ['bar', 'baz'], opts(9, { separator: '.' }), 'bar.baz.foo'],
    // Too long: parts are abbreviated from the left to their camel-case capitals.
    [
      'leaf_key',
      ['first_parent_name', 'second_parent'],
      opts(9, { maxKeyLength: 20 }),
      'fpn__sp__leaf_key',
    ],
    // A part with one capital or none keeps its first three characters.
    ['x', ['alpha', 'beta'], opts(9, { maxKeyLength: 5 }), 'alp__bet__x'],
  ])('%s under %j', (key, parents, o, expected) => {
    expect(flattenKey(key, parents, o)).toBe(expected);
  });
});

describe('flattenSchema (the SDK docstring cases)', () => {
  it.each([
    [1, { id: { type: 'string' }, foo__bar: { type: 'string' } }],
    [2, { id: { type: 'string' }, foo__bar__baz: { type: 'string' } }],
    [3, { id: { type: 'string' }, foo__bar__baz__qux: { type: 'string' } }],
  ])('depth %i', (depth, properties) => {
    expect(flattenSchema(nested, opts(depth))).toEqual({ type: 'object', properties });
  });

  it('keeps nullability of an object left whole, and makes arrays JSON text', () => {
    const schema = {
      type: 'object',
      properties: {
        doc: { type: ['object', 'array', 'string', 'number', 'boolean', 'null'] },
        tags: { type: ['array', 'null'], items: { type: 'string' } },
        plain: { type: 'object' },
        n: { type: ['integer', 'null'] },
        any: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        bare: {},
      },
    };
    expect(flattenSchema(schema, opts(1)).properties).toEqual({
      doc: { type: ['string', 'null'] },
      tags: { type: ['string', 'null'] },
      plain: { type: 'string' },
      n: { type: ['integer', 'null'] },
      any: { type: ['null', 'string'] },
      bare: { type: ['null', 'string'] },
    });
  });

  it('refuses two properties that flatten to one name', () => {
    const schema = {
      properties: {
        a__b: { type: 'string' },
        a: { type: 'object', properties: { b: { type: 'string' } } },
      },
    };
    expect(() => flattenSchema(schema, opts(1))).toThrow(/same name 'a__b'/);
  });
});

describe('flattenRecordEntries', () => {
  const schema = {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      doc: {
        type: ['object', 'null'],
        properties: {
          a: { type: ['integer', 'null'] },
          b: { type: ['object', 'null'], properties: { c: { type: ['string', 'null'] } } },
        },
      },
      raw: { type: ['object', 'array', 'string', 'number', 'boolean', 'null'] },
    },
  };
  const run = (entries: JsonEntry[], depth: number) =>
    flattenRecordEntries(entries, flattenSchema(schema, opts(depth)), opts(depth));

  it('descends into declared objects down to the depth, keeping every digit', () => {
    const out = run(
      [
        ['id', '12345678901234567890'],
        ['doc', '{"a":1.500,"b":{"c":"é","d":[1,2]}}'],
        ['raw', '{"k":"ü","n":1e400}'],
      ],
      2,
    );
    expect(out).toEqual([
      ['id', '12345678901234567890'],
      ['doc__a', '1.500'],
      ['doc__b__c', '"é"'],
      ['doc__b__d', JSON.stringify('[1,2]')],
      // Left whole: the SDK's JSON text (compact, ASCII only), digits as sent.
      ['raw', JSON.stringify('{"k":"\\u00fc","n":1e400}')],
    ]);
  });

  it('at depth 1 the nested object is JSON text', () => {
    expect(run([['doc', '{"a":1,"b":{"c":"x"}}']], 1)).toEqual([
      ['doc__a', '1'],
      ['doc__b', JSON.stringify('{"c":"x"}')],
    ]);
  });

  it('scalars of a JSON column become text where the schema allows only strings', () => {
    expect(
      run(
        [
          ['raw', '5'],
          ['raw', '"s"'],
          ['raw', 'null'],
          ['raw', 'true'],
        ],
        1,
      ),
    ).toEqual([
      ['raw', '"5"'],
      ['raw', '"s"'],
      ['raw', 'null'],
      ['raw', '"true"'],
    ]);
  });

  it('a null object stays null', () => {
    expect(run([['doc', 'null']], 2)).toEqual([['doc', 'null']]);
  });
});
