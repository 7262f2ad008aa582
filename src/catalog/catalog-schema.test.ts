import { firstError, validatorFor } from '../schemas/schema-validator';

const validate = validatorFor('catalog');

function errorOf(doc: unknown): string | null {
  return validate(doc) ? null : firstError(validate.errors);
}

const column = (name: string, extra: Record<string, unknown> = {}) => ({
  breadcrumb: ['properties', name],
  metadata: { 'sql-datatype': 'integer', inclusion: 'available', ...extra },
});

/** A stream as a user hands it back: selected, with the keys Meltano and pipelinewise add. */
const userStream = {
  tap_stream_id: 'public-users',
  stream: 'public-users',
  table_name: 'users',
  schema: { type: 'object', properties: { id: { type: ['integer'] } }, definitions: {} },
  metadata: [
    {
      breadcrumb: [],
      metadata: {
        selected: true,
        'replication-method': 'INCREMENTAL',
        'replication-key': 'id',
        'forced-replication-method': 'FULL_TABLE',
        'table-key-properties': ['id'],
        'row-count': -1,
        'some-other-tap-key': { anything: 1 },
      },
    },
    column('id', { selected: true, inclusion: 'automatic' }),
  ],
  key_properties: ['id'],
  replication_method: 'INCREMENTAL',
  replication_key: 'id',
  is_view: false,
  selected: true,
  database_name: 'x',
};

describe('schemas/catalog.schema.json', () => {
  it.each([
    ['a user catalog with extra keys', { streams: [userStream], version: 2 }],
    ['an empty catalog', { streams: [] }],
    [
      'a stream without metadata (legacy selection)',
      { streams: [{ tap_stream_id: 'a', schema: {}, selected: true }] },
    ],
    [
      'Meltano empty method and null key',
      { streams: [{ ...userStream, replication_method: '', replication_key: null }] },
    ],
    [
      'a nested breadcrumb',
      {
        streams: [
          {
            ...userStream,
            metadata: [
              column('a'),
              { breadcrumb: ['properties', 'a', 'properties', 'b'], metadata: {} },
            ],
          },
        ],
      },
    ],
  ])('accepts %s', (_what, doc) => {
    expect(errorOf(doc)).toBeNull();
  });

  it.each([
    ['not an object', [], /document must be object/],
    ['no streams', {}, /missing required key 'streams'/],
    ['streams not an array', { streams: {} }, /'streams' must be array/],
    [
      'a stream without tap_stream_id',
      { streams: [{ schema: {} }] },
      /missing required key 'streams\[0\].tap_stream_id'/,
    ],
    ['a stream without schema', { streams: [{ tap_stream_id: 'a' }] }, /'streams\[0\].schema'/],
    [
      'metadata not an array',
      { streams: [{ ...userStream, metadata: {} }] },
      /'streams\[0\].metadata' must be array/,
    ],
    [
      'metadata without breadcrumb',
      { streams: [{ ...userStream, metadata: [{ metadata: {} }] }] },
      /breadcrumb/,
    ],
    [
      'a breadcrumb as a string',
      { streams: [{ ...userStream, metadata: [{ breadcrumb: 'properties/id', metadata: {} }] }] },
      /breadcrumb' must be array/,
    ],
    [
      'a breadcrumb without "properties"',
      { streams: [{ ...userStream, metadata: [{ breadcrumb: ['id'], metadata: {} }] }] },
      /breadcrumb/,
    ],
    [
      'selected as a string',
      {
        streams: [
          { ...userStream, metadata: [{ breadcrumb: [], metadata: { selected: 'true' } }] },
        ],
      },
      /selected' must be boolean/,
    ],
    [
      'an unknown replication method',
      {
        streams: [
          {
            ...userStream,
            metadata: [{ breadcrumb: [], metadata: { 'replication-method': 'full_table' } }],
          },
        ],
      },
      /replication-method' must be one of/,
    ],
    [
      'key_properties not a list',
      { streams: [{ ...userStream, key_properties: 'id' }] },
      /key_properties' must be array/,
    ],
    [
      'schema properties not objects',
      { streams: [{ ...userStream, schema: { properties: { id: 'integer' } } }] },
      /'streams\[0\].schema.properties.id' must be object/,
    ],
  ])('rejects %s', (_what, doc, message) => {
    expect(errorOf(doc)).toMatch(message);
  });
});
