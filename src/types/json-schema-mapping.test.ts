import Ajv from 'ajv';
import type { JsonSchema } from '../catalog/catalog-types';
import { jsonSchemaFor, TYPE_RULES } from './json-schema-mapping';
import type { BaseType, CompositeAttribute, ResolvedType } from './resolved-type';

/** A resolved built-in type; `over` changes the base (schema, typtype, modifiers, labels). */
function pg(name: string, over: Partial<BaseType> = {}, arrayDims = 0): ResolvedType {
  return {
    sqlType: name,
    base: { name, schema: 'pg_catalog', typtype: 'b', category: 'S', ...over },
    arrayDims,
    domains: [],
  };
}

const STR: JsonSchema = { type: ['null', 'string'] };
const INT4: JsonSchema = { type: ['null', 'integer'], minimum: -2147483648, maximum: 2147483647 };
const INT8: JsonSchema = { type: ['null', 'integer'] };

/** An element, or an array of such, `dims` dimensions deep at most. */
function deep(element: JsonSchema, dims = 6): JsonSchema {
  return dims === 1
    ? element
    : { anyOf: [element, { type: ['array'], items: deep(element, dims - 1) }] };
}

const ANY_JSON: JsonSchema = { type: ['null', 'object', 'array', 'string', 'number', 'boolean'] };

// [what, type, expected schema of a nullable column]
const NULLABLE: readonly [string, ResolvedType, JsonSchema][] = [
  // integers: int2/int4 bounded, int8 not (its bounds are not doubles)
  ['smallint', pg('int2'), { type: ['null', 'integer'], minimum: -32768, maximum: 32767 }],
  ['integer', pg('int4'), { type: ['null', 'integer'], minimum: -2147483648, maximum: 2147483647 }],
  ['bigint', pg('int8'), { type: ['null', 'integer'] }],
  // numeric
  [
    'numeric(12,2)',
    pg('numeric', { precision: 12, scale: 2 }),
    { type: ['null', 'number'], multipleOf: 0.01 },
  ],
  [
    'numeric(10,0)',
    pg('numeric', { precision: 10, scale: 0 }),
    { type: ['null', 'number'], multipleOf: 1 },
  ],
  [
    'numeric(15,15)',
    pg('numeric', { precision: 15, scale: 15 }),
    { type: ['null', 'number'], multipleOf: 1e-15 },
  ],
  [
    'numeric(5,-2)',
    pg('numeric', { precision: 5, scale: -2 }),
    { type: ['null', 'number'], multipleOf: 100 },
  ],
  [
    'numeric(16,2): too precise',
    pg('numeric', { precision: 16, scale: 2 }),
    { type: ['null', 'number'] },
  ],
  ['numeric(40,10)', pg('numeric', { precision: 40, scale: 10 }), { type: ['null', 'number'] }],
  [
    'numeric(3,20): tiny scale',
    pg('numeric', { precision: 3, scale: 20 }),
    { type: ['null', 'number'] },
  ],
  ['numeric', pg('numeric'), { type: ['null', 'number'] }],
  ['real', pg('float4'), { type: ['null', 'number'] }],
  ['double precision', pg('float8'), { type: ['null', 'number'] }],
  ['money', pg('money'), STR],
  ['boolean', pg('bool'), { type: ['null', 'boolean'] }],
  // character types
  ['character(3)', pg('bpchar', { length: 3 }), { type: ['null', 'string'], maxLength: 3 }],
  ['bpchar', pg('bpchar'), STR],
  [
    'character varying(50)',
    pg('varchar', { length: 50 }),
    { type: ['null', 'string'], maxLength: 50 },
  ],
  ['character varying', pg('varchar'), STR],
  ['text', pg('text'), STR],
  ['name', pg('name'), STR],
  ['"char"', pg('char'), STR],
  ['citext in any schema', pg('citext', { schema: 'extensions' }), STR],
  ['uuid', pg('uuid'), STR],
  ['xml', pg('xml'), STR],
  ['bytea', pg('bytea'), STR],
  // json holds any JSON value, scalars included
  ['json', pg('json'), ANY_JSON],
  ['jsonb', pg('jsonb'), ANY_JSON],
  ['jsonpath', pg('jsonpath'), STR],
  [
    'hstore in any schema',
    pg('hstore', { schema: 'public', category: 'U' }),
    { type: ['null', 'object'], additionalProperties: { type: ['null', 'string'] } },
  ],
  // date and time
  ['date', pg('date'), { type: ['null', 'string'], format: 'date' }],
  ['timestamp', pg('timestamp'), { type: ['null', 'string'], format: 'date-time' }],
  [
    'timestamp(3)',
    pg('timestamp', { precision: 3 }),
    { type: ['null', 'string'], format: 'date-time' },
  ],
  ['timestamptz', pg('timestamptz'), { type: ['null', 'string'], format: 'date-time' }],
  ['time: no format time', pg('time'), STR],
  ['time(3)', pg('time', { precision: 3 }), STR],
  ['timetz', pg('timetz'), STR],
  ['interval', pg('interval'), STR],
  // network, bit strings, geometry, text search, system
  ...['inet', 'cidr', 'macaddr', 'macaddr8'].map((n): [string, ResolvedType, JsonSchema] => [
    n,
    pg(n),
    STR,
  ]),
  ['bit(4)', pg('bit', { length: 4 }), { type: ['null', 'string'], maxLength: 4 }],
  ['bit varying(8)', pg('varbit', { length: 8 }), { type: ['null', 'string'], maxLength: 8 }],
  ['bit varying', pg('varbit'), STR],
  ...['point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle'].map(
    (n): [string, ResolvedType, JsonSchema] => [n, pg(n, { category: 'G' }), STR],
  ),
  ['tsvector', pg('tsvector'), STR],
  ['tsquery', pg('tsquery'), STR],
  ['pg_lsn', pg('pg_lsn'), STR],
  [
    'oid',
    pg('oid', { category: 'N' }),
    { type: ['null', 'integer'], minimum: 0, maximum: 4294967295 },
  ],
  ...['xid', 'xid8', 'cid', 'tid'].map((n): [string, ResolvedType, JsonSchema] => [
    n,
    pg(n, { category: 'N' }),
    STR,
  ]),
  ['regclass (unnamed oid-like type)', pg('regclass', { category: 'N' }), STR],
  // ranges, multiranges, composites, enums: by typtype
  ...['int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange', 'daterange'].map(
    (n): [string, ResolvedType, JsonSchema] => [n, pg(n, { typtype: 'r', category: 'R' }), STR],
  ),
  ['int4multirange', pg('int4multirange', { typtype: 'm', category: 'R' }), STR],
  ['composite', pg('address', { schema: 'public', typtype: 'c', category: 'C' }), STR],
  [
    'enum',
    pg('mood', { schema: 'public', typtype: 'e', category: 'E', enumLabels: ['sad', 'ok'] }),
    { type: ['null', 'string'], enum: ['sad', 'ok', null] },
  ],
  // a user type named like a built-in is not the built-in
  [
    'enum called date',
    pg('date', { schema: 'public', typtype: 'e', category: 'E', enumLabels: ['x'] }),
    { type: ['null', 'string'], enum: ['x', null] },
  ],
  ['composite called int4', pg('int4', { schema: 'public', typtype: 'c', category: 'C' }), STR],
  ['base type called int4 elsewhere', pg('int4', { schema: 'ext', category: 'N' }), STR],
  // extension and unknown types: typcategory fallback
  ['unknown numeric-category type', pg('uint4', { schema: 'ext', category: 'N' }), STR],
  ['unknown user-category type', pg('geometry', { schema: 'public', category: 'U' }), STR],
  ['unknown boolean-category type', pg('flag', { schema: 'public', category: 'B' }), STR],
  ['type dropped meanwhile', pg('gone', { schema: '', category: 'X' }), STR],
  // arrays: every depth up to PostgreSQL's six dimensions whatever is declared; elements
  // nullable, inner arrays not
  ['integer[]', pg('int4', {}, 1), { type: ['null', 'array'], items: deep(INT4) }],
  ['text[]', pg('text', {}, 1), { type: ['null', 'array'], items: deep(STR) }],
  [
    'numeric(10,2)[]',
    pg('numeric', { precision: 10, scale: 2 }, 1),
    { type: ['null', 'array'], items: deep({ type: ['null', 'number'], multipleOf: 0.01 }) },
  ],
  [
    'timestamptz[]',
    pg('timestamptz', {}, 1),
    { type: ['null', 'array'], items: deep({ type: ['null', 'string'], format: 'date-time' }) },
  ],
  [
    'enum[]',
    pg('mood', { schema: 'public', typtype: 'e', category: 'E', enumLabels: ['sad'] }, 1),
    { type: ['null', 'array'], items: deep({ type: ['null', 'string'], enum: ['sad', null] }) },
  ],
  ['jsonb[]', pg('jsonb', {}, 1), { type: ['null', 'array'], items: deep(ANY_JSON) }],
  ['bigint[][]', pg('int8', {}, 2), { type: ['null', 'array'], items: deep(INT8) }],
  ['text[][][]', pg('text', {}, 3), { type: ['null', 'array'], items: deep(STR) }],
];

describe('jsonSchemaFor', () => {
  it.each(NULLABLE)('%s', (_what, type, expected) => {
    expect(jsonSchemaFor(type, { nullable: true })).toEqual(expected);
  });

  // [what, type, expected schema of a primary-key column]
  it.each([
    ['integer', pg('int4'), { type: ['integer'], minimum: -2147483648, maximum: 2147483647 }],
    ['text', pg('text'), { type: ['string'] }],
    ['uuid', pg('uuid'), { type: ['string'] }],
    [
      'enum',
      pg('mood', { schema: 'public', typtype: 'e', category: 'E', enumLabels: ['a', 'b'] }),
      { type: ['string'], enum: ['a', 'b'] },
    ],
    ['jsonb', pg('jsonb'), { type: ['object', 'array', 'string', 'number', 'boolean'] }],
    ['timestamptz', pg('timestamptz'), { type: ['string'], format: 'date-time' }],
    ['integer[]', pg('int8', {}, 1), { type: ['array'], items: deep(INT8) }],
  ] as const)('primary key %s: no null', (_what, type, expected) => {
    expect(jsonSchemaFor(type, { nullable: false })).toEqual(expected);
  });

  it('an array accepts every depth PostgreSQL stores, whatever was declared, and only its element', () => {
    const ajv = new Ajv({ strict: false });
    const int1 = ajv.compile(jsonSchemaFor(pg('int4', {}, 1), { nullable: true }));
    const six = [[[[[[1, null]]]]]];
    for (const v of [
      null,
      [],
      [1, null],
      [
        [1, 2],
        [3, 4],
      ],
      [[[]]],
      six,
    ])
      expect(int1(v)).toBe(true);
    for (const v of [['x'], [[1, 'x']], [[2 ** 31]], [six], 1]) expect(int1(v)).toBe(false);
    // An enum element: an array is not checked against the labels.
    const mood = pg(
      'mood',
      { schema: 'public', typtype: 'e', category: 'E', enumLabels: ['a'] },
      1,
    );
    const enum1 = ajv.compile(jsonSchemaFor(mood, { nullable: false }));
    expect([enum1([['a'], [null]]), enum1([['b']]), enum1(null)]).toEqual([true, false, false]);
  });

  it('names every built-in rule with a test', () => {
    const tested = new Set(NULLABLE.map(([, t]) => t.base.name));
    expect(Object.keys(TYPE_RULES).filter((n) => !tested.has(n))).toEqual([]);
  });

  it('never writes a bound or multipleOf that JSON cannot carry exactly', () => {
    for (const [, type] of NULLABLE) {
      const text = JSON.stringify(jsonSchemaFor(type, { nullable: true }));
      for (const n of text.match(/-?\d+(\.\d+)?(e-?\d+)?/g) ?? []) {
        expect(Math.abs(Number(n)) <= Number.MAX_SAFE_INTEGER).toBe(true);
      }
      expect(text).not.toMatch(/exclusive/);
    }
  });
});

describe('composites with compositeAsObject', () => {
  const attrs = (list: [string, ResolvedType][]): CompositeAttribute[] =>
    list.map(([name, type]) => ({ name, type }));
  const composite = (name: string, a: [string, ResolvedType][], arrayDims = 0): ResolvedType =>
    pg(name, { schema: 'public', typtype: 'c', category: 'C', attributes: attrs(a) }, arrayDims);
  const address = composite('address', [
    ['street', pg('text')],
    ['zip', pg('int4')],
    ['price', pg('numeric', { precision: 12, scale: 2 })],
  ]);
  const ADDRESS: JsonSchema = {
    type: ['null', 'object'],
    properties: {
      street: STR,
      zip: INT4,
      price: { type: ['null', 'number'], multipleOf: 0.01 },
    },
  };
  const on = { nullable: true, compositeAsObject: true };

  it('an object whose properties are the attributes, each as a column of its type', () => {
    expect(jsonSchemaFor(address, on)).toEqual(ADDRESS);
    expect(Object.keys(jsonSchemaFor(address, on).properties as object)).toEqual([
      'street',
      'zip',
      'price',
    ]);
  });

  it('nested composites, arrays of composites, key columns', () => {
    const shipment = composite('shipment', [
      ['to', address],
      ['stops', composite('address', [['street', pg('text')]], 1)],
      ['at', pg('timestamptz')],
    ]);
    expect(jsonSchemaFor(shipment, on)).toEqual({
      type: ['null', 'object'],
      properties: {
        to: ADDRESS,
        stops: {
          type: ['null', 'array'],
          items: deep({ type: ['null', 'object'], properties: { street: STR } }),
        },
        at: { type: ['null', 'string'], format: 'date-time' },
      },
    });
    expect(jsonSchemaFor(address, { nullable: false, compositeAsObject: true }).type).toEqual([
      'object',
    ]);
  });

  it('a string without the setting, or when the attributes are unknown', () => {
    expect(jsonSchemaFor(address, { nullable: true })).toEqual(STR);
    expect(jsonSchemaFor(pg('x', { schema: 'public', typtype: 'c', category: 'C' }), on)).toEqual(
      STR,
    );
  });

  it('validates the objects the converter emits, and no row literal', () => {
    const v = new Ajv({ strict: false }).compile(jsonSchemaFor(address, on));
    expect(v({ street: 'a', zip: 1, price: 2.5 })).toBe(true);
    expect(v({ street: null, zip: null, price: null })).toBe(true);
    expect(v({ street: 'a', zip: 'x', price: null })).toBe(false);
    expect(v('(a,1,2.50)')).toBe(false);
  });
});
