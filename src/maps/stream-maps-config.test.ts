import { InputError } from '../errors';
import { parseStreamMapsConfig, planStream } from './stream-maps-config';
import type { StreamSource } from './stream-map';

const USERS: StreamSource = {
  streamName: 'public-users',
  schema: {
    type: 'object',
    properties: {
      id: { type: ['integer'] },
      email: { type: ['null', 'string'] },
      name: { type: ['null', 'string'] },
      n: { type: ['null', 'integer'] },
      active: { type: ['null', 'boolean'] },
    },
  },
  keyProperties: ['id'],
};

const plan = (maps: unknown, source: StreamSource = USERS, mapConfig: unknown = {}) =>
  planStream(parseStreamMapsConfig(maps, mapConfig)!, source);

const only = (maps: unknown) => {
  const p = plan(maps);
  expect(p.outputs).toHaveLength(1);
  return p.outputs[0]!;
};

const props = (maps: unknown) => only(maps).schema.properties as Record<string, unknown>;

describe('stream maps: outputs of a stream', () => {
  it.each([
    ['no map for the stream', { 'public-orders': { x: 'id' } }, ['public-users'], true],
    ['an empty map', { 'public-users': {} }, ['public-users'], false],
    ['removed by name', { 'public-users': null }, [], false],
    ['removed by "__NULL__"', { 'public-users': '__NULL__' }, [], false],
    ['removed by a glob', { 'public-*': null }, [], false],
    ['a glob that does not match', { 'private-*': null }, ['public-users'], true],
    ['? and [] globs', { 'public-use?s': null, 'public-[!u]*': {} }, [], false],
    ['top-level __else__: null', { __else__: null, 'public-orders': {} }, [], false],
    [
      '__else__: null and a map of its own',
      { __else__: null, 'public-users': {} },
      ['public-users'],
      false,
    ],
    ['__alias__ (a literal)', { 'public-users': { __alias__: 'customers' } }, ['customers'], false],
    [
      '__alias__ with a dash',
      { 'public-users': { __alias__: 'crm-customers' } },
      ['crm-customers'],
      false,
    ],
    [
      '__alias__ = __stream_name__',
      { 'public-*': { __alias__: '__stream_name__' } },
      ['public-users'],
      false,
    ],
    [
      'a glob without alias keeps the name',
      { 'public-*': { email: null } },
      ['public-users'],
      false,
    ],
    [
      '__source__ adds an output',
      { users_copy: { __source__: 'public-users' } },
      ['public-users', 'users_copy'],
      false,
    ],
    [
      '__source__ of a removed stream',
      { 'public-users': null, users_copy: { __source__: 'public-users' } },
      ['users_copy'],
      false,
    ],
    [
      '__source__ with a glob',
      { everything: { __source__: 'public-*' }, __else__: null },
      ['everything'],
      false,
    ],
    [
      'the later of two matching maps wins',
      { 'public-*': { __alias__: 'first' }, 'public-users': { __alias__: 'second' } },
      ['second'],
      false,
    ],
  ])('%s', (_what, maps, names, unmapped) => {
    const p = plan(maps);
    expect(p.outputs.map((o) => o.alias)).toEqual(names);
    expect(p.unmapped).toBe(unmapped);
  });
});

describe('stream maps: the mapped SCHEMA', () => {
  it('removes a property (null or "__NULL__") in place', () => {
    expect(Object.keys(props({ 'public-users': { email: null, n: '__NULL__' } }))).toEqual([
      'id',
      'name',
      'active',
    ]);
  });

  it('renames: the new property takes the old one’s schema, at the end', () => {
    const p = props({ 'public-users': { mail: 'email', email: null } });
    expect(Object.keys(p)).toEqual(['id', 'name', 'n', 'active', 'mail']);
    expect(p.mail).toEqual({ type: ['null', 'string'] });
  });

  it('a removal before the rename leaves the new property a string (the SDK shares the schema)', () => {
    const p = props({ 'public-users': { email: null, mail: 'email' } });
    expect(p.mail).toEqual({ type: ['string', 'null'] });
  });

  it.each([
    ['int(n)', { type: ['integer', 'null'] }],
    ['float(n)', { type: ['number', 'null'] }],
    ['str(n)', { type: ['string', 'null'] }],
    ['bool(n)', { type: ['boolean', 'null'] }],
    ['json.dumps(n)', { type: ['string', 'null'] }],
    ["'literal'", { type: ['string', 'null'] }],
    ['datetime.date.today()', { type: ['string', 'null'], format: 'date' }],
    ['datetime.datetime.now()', { type: ['string', 'null'], format: 'date-time' }],
    ['n', { type: ['null', 'integer'] }],
    ['record', { ...USERS.schema, type: ['object', 'null'] }],
  ])('a new property "%s" is typed from the expression', (expr, type) => {
    const p = props({ 'public-users': { x: expr } });
    expect(p.x).toEqual(type);
    expect(Object.keys(p).at(-1)).toBe('x');
  });

  it('an assigned existing property keeps its place and, by default, its schema', () => {
    const p = props({ 'public-users': { email: 'md5(email)', id: 'id * 2' } });
    expect(Object.keys(p)).toEqual(['id', 'email', 'name', 'n', 'active']);
    expect(p.email).toEqual({ type: ['null', 'string'] });
    expect(p.id).toEqual({ type: ['integer', 'null'] });
  });

  it('a new property the expression cannot type is a string', () => {
    expect(props({ 'public-users': { x: 'n + 1' } }).x).toEqual({ type: ['string', 'null'] });
  });

  it('anyOf gets a null branch (not the bare "null" the SDK appends)', () => {
    const source = {
      ...USERS,
      schema: {
        type: 'object',
        properties: { id: { anyOf: [{ type: ['number'] }, { type: ['string'] }] } },
      },
    };
    const p = plan({ 'public-users': { id2: 'id' } }, source).outputs[0]!.schema
      .properties as Record<string, unknown>;
    expect(p.id2).toEqual({
      anyOf: [{ type: ['number'] }, { type: ['string'] }, { type: ['null'] }],
    });
  });

  it('__else__: null keeps only mapped properties (key properties must be mapped)', () => {
    const o = only({ 'public-users': { __else__: null, id: 'id', mail: 'email' } });
    expect(o.schema).toEqual({
      type: 'object',
      properties: { id: { type: ['integer', 'null'] }, mail: { type: ['null', 'string'] } },
    });
    expect(o.keyProperties).toEqual(['id']);
  });

  it('__else__: null keeps the tap’s _sdc_ properties, at the end', () => {
    const source = {
      ...USERS,
      schema: {
        type: 'object',
        properties: {
          ...(USERS.schema.properties as object),
          _sdc_lsn: { type: ['null', 'integer'] },
          _sdc_deleted_at: { type: ['null', 'string'], format: 'date-time' },
        },
      },
    };
    const o = plan({ 'public-users': { __else__: null, id: 'id' } }, source).outputs[0]!;
    expect(Object.keys(o.schema.properties as object)).toEqual([
      'id',
      '_sdc_lsn',
      '_sdc_deleted_at',
    ]);
  });

  it('__key_properties__ replaces the key properties', () => {
    const o = only({ 'public-users': { __key_properties__: ['mail'], mail: 'email', id: null } });
    expect(o.keyProperties).toEqual(['mail']);
    expect(only({ 'public-users': { __key_properties__: null, id: null } }).keyProperties).toEqual(
      [],
    );
  });

  it('keeps "required" in step with removed properties', () => {
    const source = { ...USERS, schema: { ...USERS.schema, required: ['id', 'email'] } };
    const o = plan({ 'public-users': { email: null } }, source).outputs[0]!;
    expect(o.schema.required).toEqual(['id']);
  });
});

describe('stream maps: config errors', () => {
  const parseError = (maps: unknown, mapConfig: unknown = {}) => {
    expect(() => parseStreamMapsConfig(maps, mapConfig)).toThrow(InputError);
    try {
      parseStreamMapsConfig(maps, mapConfig);
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };
  const planError = (maps: unknown) => {
    try {
      plan(maps);
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it.each([
    ['stream_maps not an object', [1], /stream_maps: expected an object/],
    ['a top-level __else__ that is not null', { __else__: {} }, /'__else__' supports only null/],
    ['an unknown top-level option', { __filter__: 'x' }, /option '__filter__' is not expected/],
    [
      'a stream mapped to a string',
      { 'public-users': 'users' },
      /stream 'public-users': expected a map/,
    ],
    ['a stream mapped to a number', { 'public-users': 1 }, /expected a map/],
    ['__source__ not a string', { x: { __source__: 1 } }, /'__source__': expected a string/],
    ['__alias__ not a string', { x: { __alias__: null } }, /'__alias__': expected a string/],
  ])('%s', (_what, maps, message) => {
    expect(parseError(maps)).toMatch(message);
  });

  it('stream_map_config not an object', () => {
    expect(parseError({}, 'x')).toMatch(/stream_map_config: expected an object/);
  });

  it.each([
    ['a property set to a number', { x: 1 }, /property 'x': expected an expression/],
    [
      'an expression that does not parse',
      { x: 'id +' },
      /property 'x': expression "id \+" does not parse/,
    ],
    ['an empty expression', { x: '' }, /property 'x': the expression is empty/],
    [
      'a name that is not a property',
      { x: 'nosuch' },
      /property 'x': expression "nosuch" reads 'nosuch', which is not a property/,
    ],
    ["record['k'] of no property", { x: "record['nosuch']" }, /reads record\['nosuch'\]/],
    ['self in the filter', { __filter__: 'self' }, /'__filter__': expression "self" reads 'self'/],
    ['self of a new property', { x: 'self' }, /property 'x': expression "self" reads 'self'/],
    ['fake (Faker)', { x: 'fake' }, /uses 'fake': Faker is not supported/],
    [
      'a key property removed',
      { id: null },
      /property 'id': removing a key property is not permitted/,
    ],
    ['__else__ in a stream that is not null', { __else__: 'x' }, /'__else__': only null/],
    [
      '__key_properties__ not a list',
      { __key_properties__: 'id' },
      /expected a list of property names/,
    ],
    [
      'a key property not in the mapped schema',
      { __key_properties__: ['nosuch'] },
      /property 'nosuch' is not in the mapped stream's schema/,
    ],
    [
      '__else__: null without its key property',
      { __else__: null, email: 'email' },
      /property 'id' is not in the mapped stream's schema/,
    ],
    ['an _sdc_ property set', { _sdc_lsn: "'1'" }, /_sdc_lsn passes through every map unchanged/],
    ['an alias that does not parse', { __alias__: 'a b' }, /'__alias__': "a b" does not parse/],
  ])('%s', (_what, map, message) => {
    expect(planError({ 'public-users': map })).toMatch(message);
  });

  it('names the stream, the property and the expression on one line', () => {
    const m = planError({ 'public-users': { x: 'nosuch' } });
    expect(m).toBe(
      "stream_maps: stream 'public-users', property 'x': expression \"nosuch\" reads 'nosuch', which is not a property of the stream nor a name expressions know",
    );
    expect(m).not.toContain('\n');
  });
});
