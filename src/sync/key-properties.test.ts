import type { SelectedStream } from '../catalog/stream-selection';
import { resolved } from '../values/testing/conversion-cases';
import { keyPropertySchema, withKeyColumns } from './key-properties';

const NON_FINITE = { type: ['string'], enum: ['NaN', 'Infinity', '-Infinity'] };

describe('keyPropertySchema', () => {
  it.each([
    ['timestamptz', { type: ['string'], format: 'date-time' }, { type: ['string'] }],
    ['timestamp', { type: ['string'], format: 'date-time' }, { type: ['string'] }],
    ['date', { type: ['string'], format: 'date' }, { type: ['string'] }],
    ['numeric', { type: ['number'], multipleOf: 0.01 }, NON_FINITE],
    ['float8', { type: ['number'] }, NON_FINITE],
    ['float4', { type: ['number'] }, NON_FINITE],
  ])('%s: the column schema first, then the text a key sends', (spec, property, text) => {
    expect(keyPropertySchema(property, resolved(spec))).toEqual({ anyOf: [property, text] });
  });

  it.each([
    ['int8', { type: ['integer'] }],
    ['text', { type: ['string'] }],
    ['uuid', { type: ['string'] }],
    ['numeric[]', { type: ['array'], items: { type: ['null', 'number'] } }],
    ['timestamptz', { anyOf: [{ type: ['string'], format: 'date-time' }, { type: ['string'] }] }],
  ])('%s %j: unchanged', (spec, property) => {
    expect(keyPropertySchema(property, resolved(spec))).toBe(property);
  });
});

describe('withKeyColumns', () => {
  const stream = {
    columns: ['at', 'n', 'note'],
    keyProperties: ['at', 'n'],
    schema: {
      type: 'object',
      properties: {
        at: { type: ['string'], format: 'date-time' },
        n: { type: ['integer'] },
        note: { type: ['null', 'string'], format: 'date-time' },
      },
    },
  } as unknown as SelectedStream;

  it('marks the key columns and widens only their schemas', () => {
    const types = ['timestamptz', 'int4', 'timestamptz'].map(resolved);
    const r = withKeyColumns(stream, types);
    expect(r.types.map((t) => t.keyColumn === true)).toEqual([true, true, false]);
    expect(r.stream.schema.properties).toEqual({
      at: { anyOf: [{ type: ['string'], format: 'date-time' }, { type: ['string'] }] },
      n: { type: ['integer'] },
      note: { type: ['null', 'string'], format: 'date-time' },
    });
    expect(stream.schema.properties).toHaveProperty('at.format', 'date-time');
  });
});
