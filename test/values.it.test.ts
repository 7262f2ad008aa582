import { Client } from 'pg';
import { copyRows } from '../src/db/copy-reader';
import { sessionOptions } from '../src/db/session-settings';
import type { BaseType, ResolvedType } from '../src/types/resolved-type';
import { converterFor, DEFAULT_VALUE_POLICY } from '../src/values';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/*
 * Every type family through a real server: values are written by a session with a different time
 * zone, date and interval style, read back as text by a client set up like the tap (pinned
 * session settings, no type parsers), converted, and compared with what PostgreSQL itself says
 * the value is: `to_json(c)::text` where its JSON is exactly the tap's form, jsonb equality where
 * only the whitespace differs. Nothing is JSON.parse'd on the way, so no digit can be rounded.
 */

function base(name: string, over: Partial<BaseType> = {}): BaseType {
  return { name, schema: 'pg_catalog', typtype: 'b', category: 'U', ...over };
}

function type(sqlType: string, b: BaseType, arrayDims = 0, domains: string[] = []): ResolvedType {
  return { sqlType, base: b, arrayDims, domains };
}

/** to_json's text, except that JSON has no NaN / Infinity and RFC 3339 no infinity or BC. */
const TO_JSON = 'to_json(c)::text';
const FINITE_NUMBER = `CASE WHEN c::text IN ('NaN', 'Infinity', '-Infinity') THEN 'null' ELSE ${TO_JSON} END`;
const IN_RANGE = `isfinite(c) AND c::text NOT LIKE '% BC' AND extract(year FROM c) <= 9999`;

interface Column {
  readonly name: string;
  readonly ddl: string;
  readonly type: ResolvedType;
  /** SQL literals, one per row (rows missing here are NULL). */
  readonly values: readonly string[];
  /** SQL over `c` giving the expected fragment, or `jsonb` + SQL for jsonb-equality. */
  readonly oracle: string | { readonly jsonb: string };
}

const pair = base('pair', { schema: 'public', typtype: 'c', category: 'C' });
const mood = base('mood', {
  schema: 'public',
  typtype: 'e',
  category: 'E',
  enumLabels: ['sad', 'ok'],
});

const COLUMNS: readonly Column[] = [
  {
    name: 'i2',
    ddl: 'int2',
    type: type('smallint', base('int2')),
    values: ['32767', '-32768'],
    oracle: TO_JSON,
  },
  {
    name: 'i4',
    ddl: 'int4',
    type: type('integer', base('int4')),
    values: ['2147483647', '0'],
    oracle: TO_JSON,
  },
  {
    name: 'i8',
    ddl: 'int8',
    type: type('bigint', base('int8')),
    values: ['9223372036854775807', '-9223372036854775808', '9007199254740993'],
    oracle: TO_JSON,
  },
  {
    name: 'o',
    ddl: 'oid',
    type: type('oid', base('oid')),
    values: ['4294967295'],
    oracle: 'c::text',
  },
  {
    name: 'n',
    ddl: 'numeric',
    type: type('numeric', base('numeric')),
    values: ["'12345678901234567890.123456789'", "'-0.00100'", "'NaN'", "'Infinity'"],
    oracle: FINITE_NUMBER,
  },
  {
    name: 'n2',
    ddl: 'positive',
    type: type('positive', base('numeric', { precision: 12, scale: 2 }), 0, ['positive']),
    values: ['1234567890.1', '0'],
    oracle: TO_JSON,
  },
  {
    name: 'f8',
    ddl: 'float8',
    type: type('double precision', base('float8')),
    values: [
      '1.7976931348623157e+308',
      '5e-324',
      "'-0'",
      '0.1',
      '1e30',
      '1.5e-7',
      "'NaN'",
      "'-Infinity'",
    ],
    oracle: FINITE_NUMBER,
  },
  {
    name: 'f4',
    ddl: 'float4',
    type: type('real', base('float4')),
    values: ['3.4028235e38', '1.4e-45', '0.1', "'Infinity'"],
    oracle: FINITE_NUMBER,
  },
  {
    name: 'b',
    ddl: 'bool',
    type: type('boolean', base('bool')),
    values: ['true', 'false'],
    oracle: TO_JSON,
  },
  {
    name: 't',
    ddl: 'text',
    type: type('text', base('text')),
    values: [
      `E'quote " back \\\\ nl \\n cr \\r tab \\t ctl \\x01 \\x1f del \\x7f ü 😀 \\u2028'`,
      "''",
    ],
    oracle: TO_JSON,
  },
  {
    name: 'vc',
    ddl: 'varchar(10)',
    type: type('character varying(10)', base('varchar')),
    values: ["'a,b'"],
    oracle: TO_JSON,
  },
  {
    name: 'bp',
    ddl: 'char(4)',
    type: type('character(4)', base('bpchar')),
    values: ["'ab'"],
    oracle: TO_JSON,
  },
  {
    name: 'ci',
    ddl: 'citext',
    type: type('citext', base('citext', { schema: 'public' })),
    values: ["'MiXeD'"],
    oracle: TO_JSON,
  },
  {
    name: 'u',
    ddl: 'uuid',
    type: type('uuid', base('uuid')),
    values: ["'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'"],
    oracle: TO_JSON,
  },
  {
    name: 'x',
    ddl: 'xml',
    type: type('xml', base('xml')),
    values: [`'<a b="c">d</a>'`],
    oracle: TO_JSON,
  },
  {
    name: 'ip',
    ddl: 'inet',
    type: type('inet', base('inet')),
    values: ["'192.168.0.1/24'", "'::1'"],
    oracle: TO_JSON,
  },
  {
    name: 'mac',
    ddl: 'macaddr',
    type: type('macaddr', base('macaddr')),
    values: ["'08002b010203'"],
    oracle: TO_JSON,
  },
  {
    name: 'bt',
    ddl: 'bit(3)',
    type: type('bit(3)', base('bit')),
    values: ["B'101'"],
    oracle: TO_JSON,
  },
  {
    name: 'tsv',
    ddl: 'tsvector',
    type: type('tsvector', base('tsvector')),
    values: [`'a:1 b''c:2'`],
    oracle: TO_JSON,
  },
  {
    name: 'm',
    ddl: 'money',
    type: type('money', base('money')),
    values: ['1234.5', '-1'],
    oracle: TO_JSON,
  },
  {
    name: 'lsn',
    ddl: 'pg_lsn',
    type: type('pg_lsn', base('pg_lsn')),
    values: ["'16/B374D848'"],
    oracle: TO_JSON,
  },
  {
    name: 'bx',
    ddl: 'box',
    type: type('box', base('box')),
    values: ["'((0,0),(1,1))'"],
    oracle: TO_JSON,
  },
  { name: 'e', ddl: 'mood', type: type('mood', mood), values: ["'ok'"], oracle: TO_JSON },
  {
    name: 'r',
    ddl: 'tstzrange',
    type: type('tstzrange', base('tstzrange', { typtype: 'r', category: 'R' })),
    values: ["'[2024-01-02 08:34:05.5,infinity)'", "'empty'"],
    oracle: TO_JSON,
  },
  {
    name: 'comp',
    ddl: 'pair',
    type: type('pair', pair),
    values: [`row(1, 'a "b"')`],
    oracle: 'to_json(c::text)::text',
  },
  {
    name: 'iv',
    ddl: 'interval',
    type: type('interval', base('interval')),
    values: ["'1 year 2 mons -3 days 04:05:06.5'", "'0'"],
    oracle: TO_JSON,
  },
  {
    name: 'by',
    ddl: 'bytea',
    type: type('bytea', base('bytea')),
    values: [`'\\x00ff7f'`, "''", `'a\\\\b'`],
    oracle: `to_json(encode(c, 'hex'))::text`,
  },
  {
    name: 'j',
    ddl: 'json',
    type: type('json', base('json')),
    values: [
      `E'{\\n  "a" :\\t1,\\r\\n "n": 123456789012345678901234567890,\\n "s": "x {\\\\"y\\\\"}\\\\n"\\n}\\n'`,
      `'"just a string"'`,
    ],
    oracle: { jsonb: 'c::jsonb' },
  },
  {
    name: 'jb',
    ddl: 'jsonb',
    type: type('jsonb', base('jsonb')),
    values: [`'{"n": 123456789012345678901234567890.5, "a": [1, "b", null, {"c": "}"}]}'`, "'5'"],
    oracle: { jsonb: 'c' },
  },
  {
    name: 'hs',
    ddl: 'hstore',
    type: type('hstore', base('hstore', { schema: 'public' })),
    values: [`E'"a"=>"b\\\\"c", "k"=>NULL, "x\\\\\\\\y"=>"NULL", ""=>""'`, "''"],
    oracle: { jsonb: 'hstore_to_jsonb(c)' },
  },
  {
    name: 'd',
    ddl: 'date',
    type: type('date', base('date')),
    values: [
      "'2024-01-02'",
      "'0001-01-01'",
      "'9999-12-31'",
      "'infinity'",
      "'0044-03-15 BC'",
      "'12021-01-01'",
    ],
    oracle: `CASE WHEN ${IN_RANGE} THEN ${TO_JSON} ELSE 'null' END`,
  },
  {
    name: 'ts',
    ddl: 'timestamp',
    type: type('timestamp without time zone', base('timestamp')),
    values: [
      "'2024-01-02 03:04:05.123456'",
      "'0001-01-01 00:00:00'",
      "'2000-01-01 00:00:00 BC'",
      "'-infinity'",
      "'12021-01-01 00:00:00'",
    ],
    oracle: `CASE WHEN ${IN_RANGE} THEN rtrim(${TO_JSON}, '"') || '+00:00"' ELSE 'null' END`,
  },
  {
    name: 'tz',
    ddl: 'timestamptz',
    type: type('timestamp with time zone', base('timestamptz')),
    values: [
      // written in Asia/Kolkata (+05:30): 03:04:05.123456 UTC
      "'2024-01-02 08:34:05.123456'",
      "'2024-06-30 23:59:59.999999+00'",
      "'9999-12-31 23:59:59.999999+00'",
      "'0001-01-01 00:00:00+00'",
      "'infinity'",
      "'2000-01-01 00:00:00+00 BC'",
      "'12021-01-01 00:00:00+00'",
    ],
    oracle: `CASE WHEN ${IN_RANGE} THEN ${TO_JSON} ELSE 'null' END`,
  },
  {
    name: 'tm',
    ddl: 'time',
    type: type('time without time zone', base('time')),
    values: ["'03:04:05.123456'", "'24:00:00'"],
    oracle: TO_JSON,
  },
  {
    name: 'ttz',
    ddl: 'timetz',
    type: type('time with time zone', base('timetz')),
    values: ["'03:04:05.5+05:30'"],
    oracle: TO_JSON,
  },
  {
    name: 'ia',
    ddl: 'int4[]',
    type: type('integer[]', base('int4'), 1),
    values: ["'{1,NULL,3}'", "'{{1,2},{3,4}}'", "'[0:1]={7,8}'", "'{}'"],
    oracle: TO_JSON,
  },
  {
    name: 'na',
    ddl: 'numeric[]',
    type: type('numeric[]', base('numeric'), 1),
    values: ["'{1.50,12345678901234567890.123456789,-0.00100}'"],
    oracle: TO_JSON,
  },
  {
    name: 'ta',
    ddl: 'text[]',
    type: type('text[]', base('text'), 1),
    values: [`array['a"b', 'c\\d', 'e,f', '{g}', 'NULL', null, '', ' h ', E'i\\nj', 'k;l']`],
    oracle: TO_JSON,
  },
  {
    name: 'tza',
    ddl: 'timestamptz[][]',
    type: type('timestamp with time zone[]', base('timestamptz'), 2),
    values: [
      `'{{"2024-01-02 08:34:05.5",NULL},{"2024-01-01 00:00:00+00","2024-01-01 00:00:00-08"}}'`,
    ],
    oracle: TO_JSON,
  },
  {
    name: 'da',
    ddl: 'date[]',
    type: type('date[]', base('date'), 1),
    values: [`'{2024-01-02,NULL}'`],
    oracle: TO_JSON,
  },
  {
    name: 'ja',
    ddl: 'jsonb[]',
    type: type('jsonb[]', base('jsonb'), 1),
    values: [`array['{"x": "q\\"r", "n": 123456789012345678901234567890}'::jsonb, '[1, 2]', null]`],
    oracle: { jsonb: 'to_jsonb(c)' },
  },
  {
    name: 'bxa',
    ddl: 'box[]',
    type: type('box[]', base('box'), 1),
    values: [`array[box '((0,0),(1,1))', box '((2,2),(3,3))']`],
    oracle: TO_JSON,
  },
  {
    name: 'ea',
    ddl: 'mood[]',
    type: type('mood[]', mood, 1),
    values: [`'{sad,ok}'`],
    oracle: TO_JSON,
  },
];

const ROWS = Math.max(...COLUMNS.map((c) => c.values.length)) + 1; // the last row is all NULL

describe('value conversion against PostgreSQL', () => {
  let db: TestDatabase;
  let tap: Client;

  beforeAll(async () => {
    db = await createTestDatabase('values');
    await db.query('CREATE EXTENSION hstore');
    await db.query('CREATE EXTENSION citext');
    await db.query(`CREATE TYPE mood AS ENUM ('sad', 'ok')`);
    await db.query('CREATE TYPE pair AS (n int, s text)');
    await db.query('CREATE DOMAIN positive AS numeric(12,2) CHECK (VALUE >= 0)');
    await db.query(
      `CREATE TABLE vals (id int PRIMARY KEY, ${COLUMNS.map((c) => `${c.name} ${c.ddl}`).join(', ')})`,
    );
    // The writer's session differs from the tap's in every setting the tap pins.
    await db.query(
      `SET TimeZone = 'Asia/Kolkata'; SET DateStyle = 'SQL, DMY'; SET IntervalStyle = 'postgres_verbose';
       SET extra_float_digits = 0; SET bytea_output = 'escape'`,
    );
    for (let row = 0; row < ROWS; row++) {
      const values = COLUMNS.map((c) => c.values[row] ?? 'NULL');
      await db.query(`INSERT INTO vals VALUES (${row}, ${values.join(', ')})`);
    }
    tap = new Client({
      connectionString: db.url,
      options: sessionOptions(),
      types: { getTypeParser: () => (v: string) => v },
    });
    await tap.connect();
  });

  afterAll(async () => {
    await tap?.end();
    await db?.drop();
  });

  it('reads through a session pinned like the tap', async () => {
    const { rows } = await tap.query<{ tz: string; ds: string; is: string }>(
      `SELECT current_setting('TimeZone') tz, current_setting('DateStyle') ds,
              current_setting('IntervalStyle') "is"`,
    );
    expect(rows[0]).toEqual({ tz: 'UTC', ds: 'ISO, MDY', is: 'iso_8601' });
  });

  it.each(COLUMNS.map((c) => [c.name, c.ddl, c] as const))(
    '%s %s converts to what PostgreSQL reports',
    async (_name, _ddl, column) => {
      const convert = converterFor(column.type, DEFAULT_VALUE_POLICY);
      const expr = typeof column.oracle === 'string' ? column.oracle : column.oracle.jsonb;
      const { rows } = await tap.query<{ id: string; v: string | null; expected: string | null }>(
        `SELECT id, ${column.name} AS v, (SELECT ${expr} FROM (SELECT ${column.name} AS c) s) AS expected
           FROM vals ORDER BY id`,
      );
      expect(rows).toHaveLength(ROWS);
      for (const row of rows) {
        const fragment = convert(row.v);
        expect(fragment).not.toMatch(/[\n\r]/);
        if (row.v === null) {
          expect(fragment).toBe('null');
        } else if (typeof column.oracle === 'string') {
          expect({ id: row.id, fragment }).toEqual({ id: row.id, fragment: row.expected });
        } else {
          const { rows: same } = await tap.query<{ same: string }>(
            'SELECT ($1::jsonb = $2::jsonb)::text AS same',
            [fragment, row.expected],
          );
          expect({ id: row.id, fragment, same: same[0]?.same }).toEqual({
            id: row.id,
            fragment,
            same: 'true',
          });
        }
      }
    },
  );

  it('keeps the instants, digits and documents that matter exactly', async () => {
    const { rows } = await tap.query<Record<string, string | null>>(
      'SELECT i8, n, tz, ts, j, jb, by, tza FROM vals WHERE id = 0',
    );
    const row = rows[0]!;
    const byName = new Map(COLUMNS.map((c) => [c.name, c]));
    const convert = (name: string) => converterFor(byName.get(name)!.type)(row[name] ?? null);
    expect(convert('i8')).toBe('9223372036854775807');
    expect(convert('n')).toBe('12345678901234567890.123456789');
    expect(convert('tz')).toBe('"2024-01-02T03:04:05.123456+00:00"');
    expect(convert('ts')).toBe('"2024-01-02T03:04:05.123456+00:00"');
    expect(convert('j')).toBe('{"a":1,"n":123456789012345678901234567890,"s":"x {\\"y\\"}\\n"}');
    expect(convert('jb')).toBe('{"a":[1,"b",null,{"c":"}"}],"n":123456789012345678901234567890.5}');
    expect(convert('by')).toBe('"00ff7f"');
    expect(convert('tza')).toBe(
      '[["2024-01-02T03:04:05.5+00:00",null],["2024-01-01T00:00:00+00:00","2024-01-01T08:00:00+00:00"]]',
    );
  });

  it('reads every value identically through COPY text and the query protocol', async () => {
    // FULL_TABLE reads through COPY; the converters above were proven on query-protocol text.
    const select = `SELECT * FROM vals UNION ALL SELECT id + 1000, ${COLUMNS.map((c) => c.name).join(', ')} FROM vals ORDER BY 1`;
    const { rows: viaQuery } = await tap.query<unknown[]>({ text: select, rowMode: 'array' });
    const viaCopy: unknown[][] = [];
    const n = await copyRows(tap, select, COLUMNS.length + 1, (row) => viaCopy.push([...row]));
    expect(n).toBe(ROWS * 2);
    expect(viaCopy).toEqual(viaQuery);
    // A text with every character COPY escapes, and the literal two characters of its NULL marker.
    const tricky = `SELECT E'a\\tb\\\\c\\nd\\re\\bf\\fg\\vh\\x01i' AS t, '\\N' AS n, '' AS e, NULL AS z, E'\\\\' AS b`;
    const { rows: q } = await tap.query<unknown[]>({ text: tricky, rowMode: 'array' });
    const c: unknown[][] = [];
    await copyRows(tap, tricky, 5, (row) => c.push([...row]));
    expect(q[0]).toEqual(['a\tb\\c\nd\re\bf\fg\vh\x01i', '\\N', '', null, '\\']);
    expect(c).toEqual(q);
  });

  it('round-trips every in-range instant through PostgreSQL itself', async () => {
    const { rows } = await tap.query<{ tz: string | null; ts: string | null }>(
      'SELECT tz, ts FROM vals ORDER BY id',
    );
    const tz = converterFor(COLUMNS.find((c) => c.name === 'tz')!.type);
    const ts = converterFor(COLUMNS.find((c) => c.name === 'ts')!.type);
    for (const row of rows) {
      for (const [text, convert, cast] of [
        [row.tz, tz, 'timestamptz'],
        [row.ts, ts, 'timestamp'],
      ] as const) {
        const fragment = convert(text);
        if (fragment === 'null') continue;
        const { rows: same } = await tap.query<{ same: string }>(
          `SELECT (($1::jsonb #>> '{}')::timestamptz = $2::${cast})::text AS same`,
          [fragment, text],
        );
        expect({ fragment, same: same[0]?.same }).toEqual({ fragment, same: 'true' });
      }
    }
  });
});
