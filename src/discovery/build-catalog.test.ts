import { validatorFor } from '../schemas/schema-validator';
import { buildCatalog } from './build-catalog';
import type { ColumnRow, Introspection, RelationRow } from './introspection';
import { typeRow } from './testing/type-row';

const t = typeRow;

/** Array items: the element, or an array of such, up to PostgreSQL's six dimensions. */
const deep = (element: object, dims = 6): object =>
  dims === 1 ? element : { anyOf: [element, { type: ['array'], items: deep(element, dims - 1) }] };

function rel(oid: string, schema: string, name: string, over: Partial<RelationRow> = {}) {
  return {
    oid,
    schema,
    name,
    kind: 'r',
    rowEstimate: 0,
    primaryKey: [],
    unlogged: false,
    replicaIdentity: over.kind === 'v' || over.kind === 'm' ? 'n' : 'd',
    replicaIdentityIndex: [],
    ...over,
  } as RelationRow;
}

let attnum = 0;
function c(relationOid: string, name: string, typeOid: string, sqlType: string, typmod = -1) {
  return {
    relationOid,
    position: ++attnum,
    name,
    typeOid,
    typmod,
    sqlType,
    notNull: false,
    dims: sqlType.endsWith('[]') ? 1 : 0,
  } satisfies ColumnRow;
}

const FIXTURE: Introspection = {
  // Deliberately unsorted: the catalog sorts by tap_stream_id.
  relations: [
    rel('10', 'shop', 'orders', { primaryKey: ['order_id', 'line_no'], rowEstimate: 1200 }),
    rel('11', 'shop', 'order_totals', { kind: 'v' }),
    rel('12', 'shop', 'daily', { kind: 'm', rowEstimate: 30 }),
    rel('13', 'shop', 'events', { kind: 'p', rowEstimate: 500 }),
    rel('14', 'Mixed Schema', 'log', {}),
    rel('15', 'shop', 'empty', {}),
  ],
  columns: [
    // columns out of attnum order on purpose
    c('10', 'note', '25', 'text'),
    c('10', 'order_id', '20', 'bigint'),
    c('10', 'line_no', '23', 'integer'),
    c('10', 'total', '1700', 'numeric(12,2)', 786438),
    c('10', 'status', '16500', 'shop.status'),
    c('10', 'tags', '1009', 'text[]'),
    c('10', 'at', '1184', 'timestamp with time zone'),
    c('11', 'customer_id', '20', 'bigint'),
    c('11', 'spent', '1700', 'numeric'),
    c('12', 'day', '1082', 'date'),
    c('12', 'n', '701', 'double precision'),
    c('13', 'at', '1184', 'timestamp with time zone'),
    c('13', 'payload', '3802', 'jsonb'),
    c('14', '__proto__', '25', 'text'),
    c('14', 'select', '25', 'text'),
  ].sort((a, b) => b.position - a.position),
  types: [
    t('20', 'int8', { category: 'N' }),
    t('23', 'int4', { category: 'N' }),
    t('25', 'text'),
    t('1009', '_text', { category: 'A', elementOid: '25' }),
    t('701', 'float8', { category: 'N' }),
    t('1700', 'numeric', { category: 'N' }),
    t('1082', 'date', { category: 'D' }),
    t('1184', 'timestamptz', { category: 'D' }),
    t('3802', 'jsonb', { category: 'U' }),
    t('16500', 'status', {
      schema: 'shop',
      typtype: 'e',
      category: 'E',
      enumLabels: ['new', 'paid'],
    }),
  ],
};

const catalog = buildCatalog(FIXTURE, { database: 'shopdb' });
const stream = (id: string) => {
  const s = catalog.streams.find((x) => x.tap_stream_id === id);
  if (!s) throw new Error(`no stream ${id}`);
  return s;
};

describe('buildCatalog', () => {
  it('makes one stream per relation, sorted by tap_stream_id', () => {
    expect(catalog.streams.map((s) => [s.tap_stream_id, s.stream, s.table_name])).toEqual([
      ['Mixed Schema-log', 'Mixed Schema-log', 'log'],
      ['shop-daily', 'shop-daily', 'daily'],
      ['shop-empty', 'shop-empty', 'empty'],
      ['shop-events', 'shop-events', 'events'],
      ['shop-order_totals', 'shop-order_totals', 'order_totals'],
      ['shop-orders', 'shop-orders', 'orders'],
    ]);
  });

  it('writes a table with a composite key exactly', () => {
    const i4 = { minimum: -2147483648, maximum: 2147483647 };
    expect(stream('shop-orders')).toEqual({
      tap_stream_id: 'shop-orders',
      stream: 'shop-orders',
      table_name: 'orders',
      schema: {
        type: 'object',
        properties: {
          note: { type: ['null', 'string'] },
          order_id: { type: ['integer'] },
          line_no: { type: ['integer'], ...i4 },
          total: { type: ['null', 'number'], multipleOf: 0.01 },
          status: { type: ['null', 'string'], enum: ['new', 'paid', null] },
          tags: { type: ['null', 'array'], items: deep({ type: ['null', 'string'] }) },
          at: { type: ['null', 'string'], format: 'date-time' },
        },
      },
      metadata: [
        {
          breadcrumb: [],
          metadata: {
            'table-key-properties': ['order_id', 'line_no'],
            'schema-name': 'shop',
            'database-name': 'shopdb',
            'is-view': false,
            'row-count': 1200,
            'valid-replication-keys': ['note', 'order_id', 'line_no', 'total', 'at'],
            'selected-by-default': false,
            'valid-replication-methods': ['FULL_TABLE', 'INCREMENTAL', 'LOG_BASED'],
            'is-unlogged': false,
            'replica-identity': 'default',
          },
        },
        ...[
          ['note', 'text', 'available'],
          ['order_id', 'bigint', 'automatic'],
          ['line_no', 'integer', 'automatic'],
          ['total', 'numeric(12,2)', 'available'],
          ['status', 'shop.status', 'available'],
          ['tags', 'text[]', 'available'],
          ['at', 'timestamp with time zone', 'available'],
        ].map(([col, sql, inclusion]) => ({
          breadcrumb: ['properties', col],
          metadata: { 'sql-datatype': sql, inclusion, 'selected-by-default': true },
        })),
      ],
      key_properties: ['order_id', 'line_no'],
      is_view: false,
    });
  });

  it('keeps the properties in column order', () => {
    expect(Object.keys(stream('shop-orders').schema.properties ?? {})).toEqual([
      'note',
      'order_id',
      'line_no',
      'total',
      'status',
      'tags',
      'at',
    ]);
  });

  it.each([
    ['shop-order_totals', true, 0, ['customer_id', 'spent']],
    ['shop-daily', true, 30, ['day']],
    ['shop-events', false, 500, ['at']],
    ['shop-empty', false, 0, []],
  ])('%s: is-view %s, row-count %s, valid-replication-keys', (id, isView, rows, keys) => {
    const s = stream(id);
    expect(s.is_view).toBe(isView);
    expect(s.key_properties).toEqual([]);
    expect(s.metadata[0]).toEqual({
      breadcrumb: [],
      metadata: {
        'table-key-properties': [],
        'schema-name': 'shop',
        'database-name': 'shopdb',
        'is-view': isView,
        'row-count': rows,
        'valid-replication-keys': keys,
        'selected-by-default': false,
        'valid-replication-methods': isView
          ? ['FULL_TABLE', 'INCREMENTAL']
          : ['FULL_TABLE', 'INCREMENTAL', 'LOG_BASED'],
        'is-unlogged': false,
        ...(isView ? {} : { 'replica-identity': 'default' }),
      },
    });
  });

  describe('UNLOGGED tables and replica identity', () => {
    const one = (over: Partial<RelationRow>) => {
      const cat = buildCatalog(
        {
          relations: [rel('1', 's', 't', { primaryKey: ['id'], ...over })],
          columns: [c('1', 'id', '23', 'integer'), c('1', 'a', '23', 'integer')],
          types: [t('23', 'int4', { category: 'N' })],
        },
        { database: 'd' },
      );
      const s = cat.streams[0]!;
      const root = s.metadata[0]!.metadata as Record<string, unknown>;
      const automatic = s.metadata
        .filter((m) => m.metadata.inclusion === 'automatic')
        .map((m) => m.breadcrumb[1]);
      return { s, root, automatic };
    };

    it('an UNLOGGED table is marked and not offered LOG_BASED', () => {
      const { root } = one({ unlogged: true });
      expect(root['is-unlogged']).toBe(true);
      expect(root['valid-replication-methods']).toEqual(['FULL_TABLE', 'INCREMENTAL']);
    });

    it.each([
      ['default: the primary key', { replicaIdentity: 'd' }, ['id'], 'default'],
      ['full: the primary key', { replicaIdentity: 'f' }, ['id'], 'full'],
      ['nothing: the primary key', { replicaIdentity: 'n' }, ['id'], 'nothing'],
      [
        'using index, no primary key: the index columns',
        { replicaIdentity: 'i', replicaIdentityIndex: ['a'], primaryKey: [] },
        ['a'],
        'index',
      ],
      [
        'using index on other columns than the primary key: the index columns',
        { replicaIdentity: 'i', replicaIdentityIndex: ['a', 'id'] },
        ['a', 'id'],
        'index',
      ],
    ] as const)('%s', (_what, over, key, identity) => {
      const { s, root, automatic } = one(over as Partial<RelationRow>);
      expect(root['table-key-properties']).toEqual(key);
      expect(s.key_properties).toEqual(key);
      expect(root['replica-identity']).toBe(identity);
      expect(automatic).toEqual(['id', 'a'].filter((col) => key.includes(col as never)));
    });
  });

  it('keeps a column called __proto__ as a column', () => {
    const s = stream('Mixed Schema-log');
    expect(Object.keys(s.schema.properties ?? {})).toEqual(['__proto__', 'select']);
    expect(JSON.parse(JSON.stringify(s.schema))).toEqual({
      type: 'object',
      properties: {
        ['__proto__']: { type: ['null', 'string'] },
        select: { type: ['null', 'string'] },
      },
    });
  });

  it('a relation without columns is an empty stream', () => {
    expect(stream('shop-empty').schema).toEqual({ type: 'object', properties: {} });
    expect(stream('shop-empty').metadata).toHaveLength(1);
  });

  it('emits a catalog that validates against schemas/catalog.schema.json', () => {
    const validate = validatorFor('catalog');
    expect(validate(JSON.parse(JSON.stringify(catalog)))).toBe(true);
  });
});
