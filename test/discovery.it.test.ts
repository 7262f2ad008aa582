import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type {
  Catalog,
  CatalogStream,
  JsonSchema,
  PropertyMetadata,
  StreamMetadata,
} from '../src/catalog/catalog-types';
import { normalizeConfig } from '../src/config/normalize-config';
import { connect } from '../src/db/connect';
import { discover } from '../src/discovery/discover';
import { createTestDatabase, type TestDatabase } from './support/test-db';

const WEIRD_TABLE = 'Weird "Name"; DROP TABLE x; --';
/** Its `-` are escaped, so that no other table's id can equal it. */
const WEIRD_ID = 'Mixed Schema-Weird "Name"; DROP TABLE x; %2D%2D';

const SETUP_SQL = `
CREATE EXTENSION citext;
CREATE EXTENSION hstore;
CREATE TABLE public.x (id int);

CREATE SCHEMA types;
CREATE TYPE types.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN types.price AS numeric(10,2);
CREATE DOMAIN types.positive_price AS types.price CHECK (VALUE > 0);
CREATE TYPE types.address AS (street text, zip int);
CREATE TABLE types.all_types (
  id serial PRIMARY KEY,
  c_smallint smallint,
  c_integer integer NOT NULL,
  c_bigint bigint,
  c_numeric_12_2 numeric(12,2),
  c_numeric numeric,
  c_numeric_40_10 numeric(40,10),
  c_real real,
  c_double double precision,
  c_money money,
  c_boolean boolean,
  c_char char(3),
  c_varchar varchar(50),
  c_text text,
  c_citext citext,
  c_uuid uuid,
  c_json json,
  c_jsonb jsonb,
  c_xml xml,
  c_bytea bytea,
  c_date date,
  c_time time,
  c_time_3 time(3),
  c_timetz timetz,
  c_timestamp timestamp,
  c_timestamp_3 timestamp(3),
  c_timestamptz timestamptz,
  c_interval interval,
  c_inet inet,
  c_cidr cidr,
  c_macaddr macaddr,
  c_macaddr8 macaddr8,
  c_bit bit(4),
  c_varbit bit varying(8),
  c_int4range int4range,
  c_numrange numrange,
  c_tsrange tsrange,
  c_tstzrange tstzrange,
  c_daterange daterange,
  c_int8range int8range,
  c_int4multirange int4multirange,
  c_point point,
  c_line line,
  c_lseg lseg,
  c_box box,
  c_path path,
  c_polygon polygon,
  c_circle circle,
  c_tsvector tsvector,
  c_tsquery tsquery,
  c_pg_lsn pg_lsn,
  c_oid oid,
  c_enum types.mood,
  c_domain types.price,
  c_domain_domain types.positive_price,
  c_composite types.address,
  c_hstore hstore,
  a_integer integer[],
  a_text text[],
  a_numeric numeric(10,2)[],
  a_timestamptz timestamptz[],
  a_enum types.mood[],
  a_domain types.price[],
  a_integer_2d integer[][],
  dropped text
);
ALTER TABLE types.all_types DROP COLUMN dropped;

CREATE VIEW types.all_types_view AS
  SELECT id, c_numeric_12_2, c_enum, a_integer FROM types.all_types;
CREATE MATERIALIZED VIEW types.mood_counts AS
  SELECT c_enum, count(*) AS n FROM types.all_types GROUP BY c_enum;

CREATE TABLE types.events (
  id bigint,
  at timestamptz NOT NULL,
  kind text,
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE types.events_2025 PARTITION OF types.events
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE types.events_2026 PARTITION OF types.events
  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO types.events
  SELECT i, TIMESTAMPTZ '2025-06-01' + i * interval '1 month', 'k' FROM generate_series(1, 10) i;
ANALYZE types.events_2025, types.events_2026;

CREATE TABLE types.no_pk (a int, b text);
CREATE TABLE types.line_items (
  order_id bigint,
  line_no int,
  qty int NOT NULL,
  PRIMARY KEY (line_no, order_id)
);

CREATE SCHEMA "Mixed Schema";
CREATE TABLE "Mixed Schema"."Weird ""Name""; DROP TABLE x; --" (
  "Col ""Quote""" int PRIMARY KEY,
  "select" text,
  "MixedCase" varchar(10),
  "__proto__" text
);
CREATE TABLE "Mixed Schema"."MixedCase" ("Id" bigint PRIMARY KEY, "Value" numeric(5,1));
`;

// Expected schema fragments.
const I2 = { minimum: -32768, maximum: 32767 };
const I4 = { minimum: -2147483648, maximum: 2147483647 };
const STR: JsonSchema = { type: ['null', 'string'] };
const ANY_JSON: JsonSchema = { type: ['null', 'object', 'array', 'string', 'number', 'boolean'] };
const DATE_TIME: JsonSchema = { type: ['null', 'string'], format: 'date-time' };
const MOOD: JsonSchema = { type: ['null', 'string'], enum: ['sad', 'ok', 'happy', null] };
/** Array items: the element, or an array of such, up to PostgreSQL's six dimensions. */
const deep = (element: JsonSchema, dims = 6): JsonSchema =>
  dims === 1 ? element : { anyOf: [element, { type: ['array'], items: deep(element, dims - 1) }] };

type ColumnExpectation = readonly [
  column: string,
  sqlDatatype: string,
  inclusion: PropertyMetadata['inclusion'],
  schema: JsonSchema,
];

const ALL_TYPES: readonly ColumnExpectation[] = [
  ['id', 'integer', 'automatic', { type: ['integer'], ...I4 }],
  ['c_smallint', 'smallint', 'available', { type: ['null', 'integer'], ...I2 }],
  // NOT NULL does not drop null: only key columns do (pipelinewise's convention)
  ['c_integer', 'integer', 'available', { type: ['null', 'integer'], ...I4 }],
  ['c_bigint', 'bigint', 'available', { type: ['null', 'integer'] }],
  ['c_numeric_12_2', 'numeric(12,2)', 'available', { type: ['null', 'number'], multipleOf: 0.01 }],
  ['c_numeric', 'numeric', 'available', { type: ['null', 'number'] }],
  ['c_numeric_40_10', 'numeric(40,10)', 'available', { type: ['null', 'number'] }],
  ['c_real', 'real', 'available', { type: ['null', 'number'] }],
  ['c_double', 'double precision', 'available', { type: ['null', 'number'] }],
  ['c_money', 'money', 'available', STR],
  ['c_boolean', 'boolean', 'available', { type: ['null', 'boolean'] }],
  ['c_char', 'character(3)', 'available', { type: ['null', 'string'], maxLength: 3 }],
  ['c_varchar', 'character varying(50)', 'available', { type: ['null', 'string'], maxLength: 50 }],
  ['c_text', 'text', 'available', STR],
  ['c_citext', 'citext', 'available', STR],
  ['c_uuid', 'uuid', 'available', STR],
  ['c_json', 'json', 'available', ANY_JSON],
  ['c_jsonb', 'jsonb', 'available', ANY_JSON],
  ['c_xml', 'xml', 'available', STR],
  ['c_bytea', 'bytea', 'available', STR],
  ['c_date', 'date', 'available', { type: ['null', 'string'], format: 'date' }],
  ['c_time', 'time without time zone', 'available', STR],
  ['c_time_3', 'time(3) without time zone', 'available', STR],
  ['c_timetz', 'time with time zone', 'available', STR],
  ['c_timestamp', 'timestamp without time zone', 'available', DATE_TIME],
  ['c_timestamp_3', 'timestamp(3) without time zone', 'available', DATE_TIME],
  ['c_timestamptz', 'timestamp with time zone', 'available', DATE_TIME],
  ['c_interval', 'interval', 'available', STR],
  ['c_inet', 'inet', 'available', STR],
  ['c_cidr', 'cidr', 'available', STR],
  ['c_macaddr', 'macaddr', 'available', STR],
  ['c_macaddr8', 'macaddr8', 'available', STR],
  ['c_bit', 'bit(4)', 'available', { type: ['null', 'string'], maxLength: 4 }],
  ['c_varbit', 'bit varying(8)', 'available', { type: ['null', 'string'], maxLength: 8 }],
  ['c_int4range', 'int4range', 'available', STR],
  ['c_numrange', 'numrange', 'available', STR],
  ['c_tsrange', 'tsrange', 'available', STR],
  ['c_tstzrange', 'tstzrange', 'available', STR],
  ['c_daterange', 'daterange', 'available', STR],
  ['c_int8range', 'int8range', 'available', STR],
  ['c_int4multirange', 'int4multirange', 'available', STR],
  ['c_point', 'point', 'available', STR],
  ['c_line', 'line', 'available', STR],
  ['c_lseg', 'lseg', 'available', STR],
  ['c_box', 'box', 'available', STR],
  ['c_path', 'path', 'available', STR],
  ['c_polygon', 'polygon', 'available', STR],
  ['c_circle', 'circle', 'available', STR],
  ['c_tsvector', 'tsvector', 'available', STR],
  ['c_tsquery', 'tsquery', 'available', STR],
  ['c_pg_lsn', 'pg_lsn', 'available', STR],
  ['c_oid', 'oid', 'available', { type: ['null', 'integer'], minimum: 0, maximum: 4294967295 }],
  ['c_enum', 'types.mood', 'available', MOOD],
  ['c_domain', 'types.price', 'available', { type: ['null', 'number'], multipleOf: 0.01 }],
  [
    'c_domain_domain',
    'types.positive_price',
    'available',
    { type: ['null', 'number'], multipleOf: 0.01 },
  ],
  ['c_composite', 'types.address', 'available', STR],
  [
    'c_hstore',
    'hstore',
    'available',
    { type: ['null', 'object'], additionalProperties: { type: ['null', 'string'] } },
  ],
  [
    'a_integer',
    'integer[]',
    'available',
    { type: ['null', 'array'], items: deep({ type: ['null', 'integer'], ...I4 }) },
  ],
  ['a_text', 'text[]', 'available', { type: ['null', 'array'], items: deep(STR) }],
  [
    'a_numeric',
    'numeric(10,2)[]',
    'available',
    { type: ['null', 'array'], items: deep({ type: ['null', 'number'], multipleOf: 0.01 }) },
  ],
  [
    'a_timestamptz',
    'timestamp with time zone[]',
    'available',
    { type: ['null', 'array'], items: deep(DATE_TIME) },
  ],
  ['a_enum', 'types.mood[]', 'available', { type: ['null', 'array'], items: deep(MOOD) }],
  [
    'a_domain',
    'types.price[]',
    'available',
    { type: ['null', 'array'], items: deep({ type: ['null', 'number'], multipleOf: 0.01 }) },
  ],
  [
    'a_integer_2d',
    'integer[]',
    'available',
    { type: ['null', 'array'], items: deep({ type: ['null', 'integer'], ...I4 }) },
  ],
];

const ALL_TYPES_KEYS = [
  'id',
  'c_smallint',
  'c_integer',
  'c_bigint',
  'c_numeric_12_2',
  'c_numeric',
  'c_numeric_40_10',
  'c_char',
  'c_varchar',
  'c_text',
  'c_citext',
  'c_uuid',
  'c_date',
  'c_timestamp',
  'c_timestamp_3',
  'c_timestamptz',
  'c_domain',
  'c_domain_domain',
];

interface StreamExpectation {
  readonly table: string;
  readonly schemaName: string;
  readonly keys: readonly string[];
  readonly isView: boolean;
  readonly rowCount: number;
  readonly replicationKeys: readonly string[];
  readonly columns: readonly ColumnExpectation[];
}

const EXPECTED: Readonly<Record<string, StreamExpectation>> = {
  'Mixed Schema-MixedCase': {
    table: 'MixedCase',
    schemaName: 'Mixed Schema',
    keys: ['Id'],
    isView: false,
    rowCount: 0,
    replicationKeys: ['Id', 'Value'],
    columns: [
      ['Id', 'bigint', 'automatic', { type: ['integer'] }],
      ['Value', 'numeric(5,1)', 'available', { type: ['null', 'number'], multipleOf: 0.1 }],
    ],
  },
  [WEIRD_ID]: {
    table: WEIRD_TABLE,
    schemaName: 'Mixed Schema',
    keys: ['Col "Quote"'],
    isView: false,
    rowCount: 0,
    replicationKeys: ['Col "Quote"', 'select', 'MixedCase', '__proto__'],
    columns: [
      ['Col "Quote"', 'integer', 'automatic', { type: ['integer'], ...I4 }],
      ['select', 'text', 'available', STR],
      [
        'MixedCase',
        'character varying(10)',
        'available',
        { type: ['null', 'string'], maxLength: 10 },
      ],
      ['__proto__', 'text', 'available', STR],
    ],
  },
  'public-x': {
    table: 'x',
    schemaName: 'public',
    keys: [],
    isView: false,
    rowCount: 0,
    replicationKeys: ['id'],
    columns: [['id', 'integer', 'available', { type: ['null', 'integer'], ...I4 }]],
  },
  'types-all_types': {
    table: 'all_types',
    schemaName: 'types',
    keys: ['id'],
    isView: false,
    rowCount: 0,
    replicationKeys: ALL_TYPES_KEYS,
    columns: ALL_TYPES,
  },
  'types-all_types_view': {
    table: 'all_types_view',
    schemaName: 'types',
    keys: [],
    isView: true,
    rowCount: 0,
    replicationKeys: ['id', 'c_numeric_12_2'],
    columns: [
      ['id', 'integer', 'available', { type: ['null', 'integer'], ...I4 }],
      [
        'c_numeric_12_2',
        'numeric(12,2)',
        'available',
        { type: ['null', 'number'], multipleOf: 0.01 },
      ],
      ['c_enum', 'types.mood', 'available', MOOD],
      // a view records no array dimensions: any depth is accepted, as for tables
      [
        'a_integer',
        'integer[]',
        'available',
        { type: ['null', 'array'], items: deep({ type: ['null', 'integer'], ...I4 }) },
      ],
    ],
  },
  'types-events': {
    table: 'events',
    schemaName: 'types',
    keys: ['id', 'at'],
    isView: false,
    rowCount: 10,
    replicationKeys: ['id', 'at', 'kind'],
    columns: [
      ['id', 'bigint', 'automatic', { type: ['integer'] }],
      ['at', 'timestamp with time zone', 'automatic', { type: ['string'], format: 'date-time' }],
      ['kind', 'text', 'available', STR],
    ],
  },
  'types-line_items': {
    table: 'line_items',
    schemaName: 'types',
    keys: ['line_no', 'order_id'],
    isView: false,
    rowCount: 0,
    replicationKeys: ['order_id', 'line_no', 'qty'],
    columns: [
      ['order_id', 'bigint', 'automatic', { type: ['integer'] }],
      ['line_no', 'integer', 'automatic', { type: ['integer'], ...I4 }],
      ['qty', 'integer', 'available', { type: ['null', 'integer'], ...I4 }],
    ],
  },
  'types-mood_counts': {
    table: 'mood_counts',
    schemaName: 'types',
    keys: [],
    isView: true,
    rowCount: 0,
    replicationKeys: ['n'],
    columns: [
      ['c_enum', 'types.mood', 'available', MOOD],
      ['n', 'bigint', 'available', { type: ['null', 'integer'] }],
    ],
  },
  'types-no_pk': {
    table: 'no_pk',
    schemaName: 'types',
    keys: [],
    isView: false,
    rowCount: 0,
    replicationKeys: ['a', 'b'],
    columns: [
      ['a', 'integer', 'available', { type: ['null', 'integer'], ...I4 }],
      ['b', 'text', 'available', STR],
    ],
  },
};

function streamOf(catalog: Catalog, id: string): CatalogStream {
  const s = catalog.streams.find((x) => x.tap_stream_id === id);
  if (!s)
    throw new Error(`no stream ${id} in ${catalog.streams.map((x) => x.tap_stream_id).join(', ')}`);
  return s;
}

function expectedStream(id: string, e: StreamExpectation, database: string): CatalogStream {
  const root: StreamMetadata = {
    'table-key-properties': e.keys,
    'schema-name': e.schemaName,
    'database-name': database,
    'is-view': e.isView,
    'row-count': e.rowCount,
    'valid-replication-keys': e.replicationKeys,
    'selected-by-default': false,
    'valid-replication-methods': e.isView
      ? ['FULL_TABLE', 'INCREMENTAL']
      : ['FULL_TABLE', 'INCREMENTAL', 'LOG_BASED'],
    'is-unlogged': false,
    ...(e.isView ? {} : { 'replica-identity': 'default' as const }),
  };
  return {
    tap_stream_id: id,
    stream: id,
    table_name: e.table,
    schema: {
      type: 'object',
      properties: Object.fromEntries(e.columns.map(([name, , , schema]) => [name, schema])),
    },
    metadata: [
      { breadcrumb: [], metadata: root },
      ...e.columns.map(([name, sqlDatatype, inclusion]) => ({
        breadcrumb: ['properties', name] as ['properties', string],
        metadata: { 'sql-datatype': sqlDatatype, inclusion, 'selected-by-default': true },
      })),
    ],
    key_properties: e.keys,
    is_view: e.isView,
  };
}

describe('discovery against PostgreSQL', () => {
  let db: TestDatabase;
  let client: Client;
  let catalog: Catalog;

  beforeAll(async () => {
    db = await createTestDatabase('disc');
    await db.query(SETUP_SQL);
    // The connection the CLI makes: session settings and text-only type parsers.
    client = await connect(normalizeConfig({ ...db.config }));
    catalog = await discover(client, { database: db.name, schemas: null });
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('has one stream per table, view, materialized view and partitioned table, sorted', () => {
    expect(catalog.streams.map((s) => s.tap_stream_id)).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s: exact schema and metadata', (id, e) => {
    expect(streamOf(catalog, id)).toEqual(expectedStream(id, e, db.name));
  });

  it.each(ALL_TYPES)('all_types.%s is %s', (name, sqlDatatype, inclusion, schema) => {
    const s = streamOf(catalog, 'types-all_types');
    expect(s.schema.properties?.[name]).toEqual(schema);
    expect(s.metadata.find((m) => m.breadcrumb[1] === name)?.metadata).toEqual({
      'sql-datatype': sqlDatatype,
      inclusion,
      'selected-by-default': true,
    });
  });

  it('keeps column order in properties and metadata', () => {
    const s = streamOf(catalog, 'types-all_types');
    const names = ALL_TYPES.map(([n]) => n);
    expect(Object.keys(s.schema.properties ?? {})).toEqual(names);
    expect(s.metadata.slice(1).map((m) => m.breadcrumb[1])).toEqual(names);
  });

  it('interpolated no identifier: public.x survived the table named like an injection', async () => {
    expect(await db.query(`SELECT count(*)::int AS n FROM public.x`)).toEqual([{ n: 0 }]);
  });

  it('validates against schemas/catalog.schema.json', () => {
    const schema = JSON.parse(
      readFileSync(join(__dirname, '..', 'schemas', 'catalog.schema.json'), 'utf8'),
    ) as Record<string, unknown>;
    // strictTuples: the breadcrumb rule ["properties", …] is an open tuple on purpose.
    const validate = addFormats(new Ajv({ allErrors: true, strictTuples: false })).compile(schema);
    const ok = validate(JSON.parse(JSON.stringify(catalog)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // Each stream's record schema compiles in strict mode: only known keywords and formats.
    const strict = addFormats(new Ajv({ strict: true, allowUnionTypes: true }));
    for (const s of catalog.streams) expect(() => strict.compile(s.schema)).not.toThrow();
  });

  it.each([
    [['types'], Object.keys(EXPECTED).filter((id) => id.startsWith('types-'))],
    [['Mixed Schema'], ['Mixed Schema-MixedCase', WEIRD_ID]],
    [
      ['Mixed Schema', 'public'],
      ['Mixed Schema-MixedCase', WEIRD_ID, 'public-x'],
    ],
    [['mixed schema'], []],
    [['nope'], []],
    [[], Object.keys(EXPECTED).sort()],
  ])('schema filter %j', async (schemas, ids) => {
    const c = await discover(client, { database: db.name, schemas });
    expect(c.streams.map((s) => s.tap_stream_id)).toEqual([...ids].sort());
  });

  it('lists only what the user may read', async () => {
    const role = `reader_${db.name}`;
    await db.query(`CREATE ROLE ${role}`);
    try {
      await db.query(`GRANT USAGE ON SCHEMA types TO ${role}`);
      await db.query(`GRANT SELECT (a) ON types.no_pk TO ${role}`);
      await db.query(`GRANT SELECT ON types.line_items TO ${role}`);
      await client.query(`SET ROLE ${role}`);
      const c = await discover(client, { database: db.name, schemas: null }).finally(() =>
        client.query('RESET ROLE'),
      );
      expect(c.streams.map((s) => s.tap_stream_id)).toEqual(['types-line_items', 'types-no_pk']);
      expect(Object.keys(streamOf(c, 'types-no_pk').schema.properties ?? {})).toEqual(['a']);
    } finally {
      await db.query(`DROP OWNED BY ${role}`);
      await db.query(`DROP ROLE ${role}`);
    }
  });
});

describe('discovery at scale', () => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase('discbig');
    const cols = Array.from(
      { length: 19 },
      (_, i) => [`c${i} text`, `c${i} numeric(12,2)`, `c${i} timestamptz`, `c${i} int[]`][i % 4],
    ).join(', ');
    await db.query(`CREATE SCHEMA bulk`);
    await db.query(
      `DO $$ BEGIN FOR i IN 1..1000 LOOP
         EXECUTE format('CREATE TABLE bulk.t%s (id int PRIMARY KEY, ${cols})', i);
       END LOOP; END $$`,
    );
    // A plain client with pg's default type parsers: the result must not depend on them.
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('discovers 1,000 tables × 20 columns in one round trip (its time is a benchmark figure, npm run bench)', async () => {
    let queries = 0;
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    const counting = {
      query: ((...args: unknown[]) => {
        queries++;
        return query(...args);
      }) as Client['query'],
    };
    const started = Date.now();
    const c = await discover(counting, { database: db.name, schemas: null });
    const ms = Date.now() - started;
    console.log(`discovered ${c.streams.length} streams × 20 columns in ${ms} ms`);
    expect(c.streams).toHaveLength(1000);
    expect(c.streams.every((s) => Object.keys(s.schema.properties ?? {}).length === 20)).toBe(true);
    expect(queries).toBe(1);
  });
});
