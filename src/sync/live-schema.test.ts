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
