import { normalizeConfig } from '../config/normalize-config';
import { selectedStreams, type InputStream } from './stream-selection';

const config = normalizeConfig({ database: 'd', username: 'u' });

function stream(
  root: Record<string, unknown>,
  cols: Record<string, Record<string, unknown>> = {},
  extra: Partial<InputStream> = {},
): InputStream {
  const properties = {
    id: { type: 'integer' },
    name: { type: ['null', 'string'] },
    updated_at: { type: ['null', 'string'] },
    secret: { type: ['null', 'string'] },
  };
  return {
    tap_stream_id: 'public-users',
    stream: 'public-users',
    table_name: 'users',
    schema: { type: 'object', properties },
    metadata: [
      {
        breadcrumb: [],
        metadata: { 'table-key-properties': ['id'], 'schema-name': 'public', ...root },
      },
      ...Object.keys(properties).map((c) => ({
        breadcrumb: ['properties', c],
        metadata: {
          inclusion: c === 'id' ? 'automatic' : 'available',
          'selected-by-default': true,
          ...(cols[c] ?? {}),
        },
      })),
    ],
    ...extra,
  };
}

describe('selectedStreams', () => {
  it('syncs only streams selected in root metadata', () => {
    expect(
      selectedStreams(
        { streams: [stream({ 'replication-method': 'FULL_TABLE' })] },
        config,
        'catalog',
      ),
    ).toEqual([]);
    const [s] = selectedStreams(
      { streams: [stream({ selected: true, 'replication-method': 'FULL_TABLE' })] },
      config,
      'catalog',
    );
    expect(s).toMatchObject({
      tapStreamId: 'public-users',
      schemaName: 'public',
      tableName: 'users',
      method: 'FULL_TABLE',
      keyProperties: ['id'],
      columns: ['id', 'name', 'updated_at', 'secret'],
    });
  });

  it.each([
    [
      'replication-method',
      {
        'replication-method': 'INCREMENTAL',
        'replication-key': 'updated_at',
        'forced-replication-method': 'FULL_TABLE',
      },
      {},
      'INCREMENTAL',
    ],
    [
      'forced-replication-method',
      { 'forced-replication-method': 'LOG_BASED' },
      { replication_method: 'FULL_TABLE' },
      'LOG_BASED',
    ],
    [
      'top-level replication_method (Meltano SDK)',
      {},
      { replication_method: 'FULL_TABLE' },
      'FULL_TABLE',
    ],
  ])('reads the method from %s', (_n, root, extra, method) => {
    const [s] = selectedStreams(
      { streams: [stream({ selected: true, ...root }, {}, extra)] },
      config,
      'catalog',
    );
    expect(s?.method).toBe(method);
  });

  it('falls back to default_replication_method', () => {
    const c = normalizeConfig({
      database: 'd',
      username: 'u',
      default_replication_method: 'LOG_BASED',
    });
    expect(
      selectedStreams({ streams: [stream({ selected: true })] }, c, 'catalog')[0]?.method,
    ).toBe('LOG_BASED');
  });

  it.each([
    ['FULL_TABLE', { selected: true }],
    ['INCREMENTAL', { selected: true, 'replication-key': 'updated_at' }],
  ])('without any method, %s as the Meltano SDK decides', (method, root) => {
    expect(selectedStreams({ streams: [stream(root)] }, config, 'catalog')[0]?.method).toBe(method);
  });

  it('never reads deselected columns, but keeps keys and the replication key', () => {
    const [s] = selectedStreams(
      {
        streams: [
          stream(
            {
              selected: true,
              'replication-method': 'INCREMENTAL',
              'replication-key': 'updated_at',
            },
            {
              secret: { selected: false },
              id: { selected: false },
              updated_at: { selected: false },
            },
          ),
        ],
      },
      config,
      'catalog',
    );
    expect(s?.columns).toEqual(['id', 'name', 'updated_at']);
    expect(Object.keys((s?.schema.properties ?? {}) as object)).toEqual([
      'id',
      'name',
      'updated_at',
    ]);
  });

  it.each([
    [
      'a bad method',
      { selected: true, 'replication-method': 'SOMETIMES' },
      /"SOMETIMES" is not one of/,
    ],
    [
      'INCREMENTAL without a key',
      { selected: true, 'replication-method': 'INCREMENTAL' },
      /needs "replication-key"/,
    ],
    [
      'a replication key that is not a column',
      { selected: true, 'replication-method': 'INCREMENTAL', 'replication-key': 'nope' },
      /replication key 'nope' is not a column/,
    ],
    [
      'a key property that is not a column',
      { selected: true, 'replication-method': 'FULL_TABLE', 'table-key-properties': ['nope'] },
      /key property 'nope'/,
    ],
  ])('rejects %s, naming the stream', (_n, root, msg) => {
    expect(() => selectedStreams({ streams: [stream(root)] }, config, 'catalog k.json')).toThrow(
      msg,
    );
    expect(() => selectedStreams({ streams: [stream(root)] }, config, 'catalog k.json')).toThrow(
      /catalog k.json: streams\[0\] \(public-users\)/,
    );
  });

  it('refuses a catalog in which two streams share a tap_stream_id, selected or not', () => {
    const a = stream({ selected: true, 'replication-method': 'FULL_TABLE' });
    const b = stream({}, {}, { table_name: 'other' });
    expect(() => selectedStreams({ streams: [a, b] }, config, 'catalog k.json')).toThrow(
      /^catalog k.json: two streams have the tap_stream_id "public-users"; run --discover again/,
    );
  });

  it('reads schema and table from an escaped id when the catalog names neither', () => {
    const s = stream({
      selected: true,
      'replication-method': 'FULL_TABLE',
      'schema-name': undefined,
    });
    const [sel] = selectedStreams(
      { streams: [{ ...s, tap_stream_id: 'a%2Db-c%2Dd', table_name: undefined }] },
      config,
      'catalog',
    );
    expect([sel!.schemaName, sel!.tableName]).toEqual(['a-b', 'c-d']);
  });
});
