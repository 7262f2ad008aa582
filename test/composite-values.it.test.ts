import fc from 'fast-check';
import { JsonNumber, parseLosslessJson } from '../src/replication/wal2json/lossless-json';
import { parseRowLiteral } from '../src/values/composite-literal';
import { parseMessages, records, selectStreams, type Message } from './support/catalog-helpers';
import { wal2jsonServerUrl, wal2jsonSkipped } from './support/debian-server';
import { recordSchemaErrors } from './support/record-schemas';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * `composite_as_object` end to end: composite columns (a type of its own with a dropped
 * attribute, a nested composite, arrays of composites, a domain over a composite, a table's row
 * type) are described with their attributes' properties and sent as objects whose members are
 * exactly what columns of the attributes' types give (compared with a view that selects the
 * attributes as columns), identically by every replication method.
 */
const SETUP = `
CREATE TYPE geo AS (lat numeric, lng numeric, gone text, label text);
ALTER TYPE geo DROP ATTRIBUTE gone;
CREATE TYPE address AS (street text, zip int4, pos geo, tags text[], at timestamptz, raw bytea,
                        pt point, doc jsonb, day date, price numeric(12,2));
CREATE DOMAIN address_d AS address;
CREATE TABLE parent (id int PRIMARY KEY, note text);
CREATE TABLE comp (id int PRIMARY KEY, a address, addrs address[], d address_d, p parent);
CREATE VIEW flat AS
  SELECT id, (a).street, (a).zip, (a).pos, (a).tags, (a).at, (a).raw, (a).pt, (a).doc, (a).day,
         (a).price
    FROM comp;
INSERT INTO comp VALUES
  (1, ROW(E'1 Main St, "Apt" (2) \\\\ back', 12345,
          ROW(12345678901234567890.123, -0.50, 'ü 日本 😀')::geo,
          ARRAY['x,y', NULL, '', '"q"', 'NULL'], '2024-01-02 03:04:05.123456+02',
          '\\xdeadbeef', '(1,2)', '{"k": [1, 2.50], "s": "a\\"b"}', '2024-02-29', 42.42),
      ARRAY[ROW('a', 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::address, NULL,
            ROW('', NULL, ROW(1, 2, '')::geo, '{}', NULL, '', NULL, 'null', NULL, 0)::address],
      ROW('(d)', 2, NULL, '{"{x}"}', NULL, NULL, NULL, '"s"', '0044-03-15 BC', NULL)::address,
      ROW(7, 'note (x), "y"')::parent),
  (2, ROW('', NULL, NULL, '{}', 'infinity', '', NULL, 'null', NULL, NULL), '{}', NULL, NULL),
  (3, ROW(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), NULL,
      ROW(NULL, NULL, ROW(NULL, NULL, NULL)::geo, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      ROW(NULL, NULL)::parent),
  (4, NULL, ARRAY[NULL]::address[], NULL, NULL);
CREATE PUBLICATION tap_postgres FOR TABLE comp;
`;

type Json = ReturnType<typeof parseLosslessJson>;

/** A record's id, parsed losslessly. */
const idOf = (r: Record<string, Json>): number => Number((r.id as JsonNumber).text);

/** The records of `stream`, numbers kept as their digits, without the LOG_BASED columns. */
function exactRecords(stdout: string, stream = 'public-comp'): Record<string, Json>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{"type":"RECORD"'))
    .map((l) => parseLosslessJson(l) as { stream: string; record: Record<string, Json> })
    .filter((m) => m.stream === stream)
    .map(({ record }) => {
      const { _sdc_lsn: _l, _sdc_deleted_at: _d, ...rest } = record;
      return rest;
    });
}

const lastSchema = (msgs: readonly Message[], stream = 'public-comp') =>
  [...msgs].reverse().find((m) => m.type === 'SCHEMA' && m.stream === stream)!.schema as {
    properties: Record<string, { type: string[]; properties?: Record<string, unknown> }>;
  };

describe('composite_as_object', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;
  let discovered: Parameters<typeof selectStreams>[0];
  let full: string;

  const catalog = (name: string, selections: Parameters<typeof selectStreams>[1]) =>
    files.write(name, selectStreams(discovered, selections));

  beforeAll(async () => {
    db = await createTestDatabase('composite');
    await db.query(SETUP);
    config = files.write('config.json', {
      ...db.config,
      composite_as_object: true,
      logical_poll_total_seconds: 5,
    });
    const disc = await runTap(['--config', config, '--discover']);
    expect(disc.code).toBe(0);
    discovered = JSON.parse(disc.stdout);
    const r = await runTap([
      '--config',
      config,
      '--catalog',
      catalog('full.json', { 'public-comp': { method: 'FULL_TABLE' } }),
    ]);
    expect(r.code).toBe(0);
    full = r.stdout;
  });
  afterAll(async () => {
    await db.drop();
  });

  it('discovery describes composites as objects of their attributes, in attnum order, dropped ones left out', () => {
    const stream = (
      discovered as unknown as { streams: { tap_stream_id: string; schema: never }[] }
    ).streams;
    const props = (
      stream.find((s) => s.tap_stream_id === 'public-comp')!.schema as {
        properties: Record<string, Record<string, unknown>>;
      }
    ).properties;
    const a = props.a as { type: string[]; properties: Record<string, Record<string, unknown>> };
    expect(a.type).toEqual(['null', 'object']);
    expect(Object.keys(a.properties)).toEqual([
      'street',
      'zip',
      'pos',
      'tags',
      'at',
      'raw',
      'pt',
      'doc',
      'day',
      'price',
    ]);
    expect(a.properties.pos).toEqual({
      type: ['null', 'object'],
      properties: {
        lat: { type: ['null', 'number'] },
        lng: { type: ['null', 'number'] },
        label: { type: ['null', 'string'] },
      },
    });
    // each attribute exactly as a column of its type (the view's columns are those types)
    const flat = (
      discovered as unknown as { streams: { tap_stream_id: string; schema: never }[] }
    ).streams.find((s) => s.tap_stream_id === 'public-flat')!.schema as {
      properties: Record<string, unknown>;
    };
    const { id: _id, ...flatProps } = flat.properties;
    expect(a.properties).toEqual(flatProps);
    expect(props.d).toEqual(a);
    expect((props.addrs as { items: { anyOf: unknown[] } }).items.anyOf[0]).toEqual(a);
    expect(props.p).toEqual({
      type: ['null', 'object'],
      properties: {
        id: { type: ['null', 'integer'], minimum: -2147483648, maximum: 2147483647 },
        note: { type: ['null', 'string'] },
      },
    });
  });

  it('FULL_TABLE: each attribute is exactly what a column of its type gives', async () => {
    const r = await runTap([
      '--config',
      config,
      '--catalog',
      catalog('flat.json', { 'public-flat': { method: 'FULL_TABLE' } }),
    ]);
    expect(r.code).toBe(0);
    const flat = exactRecords(r.stdout, 'public-flat');
    const comp = exactRecords(full);
    expect(comp).toHaveLength(4);
    for (const row of comp.filter((c) => c.a !== null)) {
      const { id, ...attributes } = flat.find((f) => idOf(f) === idOf(row))!;
      expect([id, row.a]).toEqual([id, attributes]);
    }
    const line = full.split('\n').find((l) => l.includes('"record":{"id":1,'))!;
    expect(line).toContain('"lat":12345678901234567890.123,"lng":-0.50');
    expect(line).toContain('"at":"2024-01-02T01:04:05.123456+00:00"');
    expect(line).toContain('"price":42.42');
    expect(line).toContain('"raw":"deadbeef"');
    expect(line).toContain('"street":"1 Main St, \\"Apt\\" (2) \\\\ back"');
    expect(line).toContain('"tags":["x,y",null,"","\\"q\\"","NULL"]');
    expect(line).toContain('"doc":{"k":[1,2.50],"s":"a\\"b"}');
    expect(line).toContain('"p":{"id":7,"note":"note (x), \\"y\\""}');
  });

  it('NULL composites, NULL attributes, empty strings and arrays of composites', () => {
    const byId = new Map(records(parseMessages(full)).map((r) => [r.id, r]));
    const nulls = {
      street: null,
      zip: null,
      pos: null,
      tags: null,
      at: null,
      raw: null,
      pt: null,
      doc: null,
      day: null,
      price: null,
    };
    expect(byId.get(1)!.addrs).toEqual([
      { ...nulls, street: 'a', zip: 1 },
      null,
      {
        ...nulls,
        street: '',
        pos: { lat: 1, lng: 2, label: '' },
        tags: [],
        raw: '',
        doc: null,
        price: 0,
      },
    ]);
    // a BC date inside a composite is null by temporal_out_of_range, as in a column
    expect(byId.get(1)!.d).toMatchObject({ street: '(d)', tags: ['{x}'], doc: 's', day: null });
    expect(byId.get(2)!.a).toEqual({ ...nulls, street: '', tags: [], raw: '', doc: null });
    expect(byId.get(3)!).toMatchObject({
      a: nulls,
      addrs: null,
      d: { ...nulls, pos: { lat: null, lng: null, label: null } },
      p: { id: null, note: null },
    });
    expect(byId.get(4)!).toEqual({ id: 4, a: null, addrs: [null], d: null, p: null });
    expect(recordSchemaErrors(parseMessages(full))).toEqual([]);
  });

  it('INCREMENTAL and LOG_BASED (copy, streamed changes, a type that gained an attribute) give the same objects', async () => {
    const run = async (cat: string, state?: unknown) => {
      const args = ['--config', config, '--catalog', cat];
      if (state !== undefined) args.push('--state', files.write(`state-${Date.now()}.json`, state));
      const r = await runTap(args);
      expect(r.stderr).not.toMatch(/CRITICAL/);
      expect(r.code).toBe(0);
      const msgs = parseMessages(r.stdout);
      expect(recordSchemaErrors(msgs)).toEqual([]);
      return { ...r, msgs };
    };
    const expected = exactRecords(full);
    const inc = await run(
      catalog('inc.json', { 'public-comp': { method: 'INCREMENTAL', replicationKey: 'id' } }),
    );
    expect(exactRecords(inc.stdout)).toEqual(expected);

    const lb = catalog('lb.json', { 'public-comp': { method: 'LOG_BASED' } });
    const copy = await run(lb);
    expect(exactRecords(copy.stdout)).toEqual(expected);
    const stateOf = (msgs: readonly Message[]) =>
      [...msgs].reverse().find((m) => m.type === 'STATE')!.value;

    // every column's text again, through pgoutput
    await db.query('UPDATE comp SET id = id');
    const streamed = await run(lb, stateOf(copy.msgs));
    const sorted = (rs: Record<string, Json>[]) => [...rs].sort((x, y) => idOf(x) - idOf(y));
    expect(sorted(exactRecords(streamed.stdout))).toEqual(expected);

    // ALTER TYPE … ADD ATTRIBUTE between runs: changes decoded before it print the old fields,
    // so the stream is copied again and the next SCHEMA has the attribute everywhere.
    await db.query('UPDATE comp SET d = d WHERE id = 1');
    await db.query('ALTER TYPE address ADD ATTRIBUTE floor int4');
    await db.query('UPDATE comp SET a.floor = 3 WHERE id = 1');
    const grown = await run(lb, stateOf(streamed.msgs));
    expect(grown.stderr).toMatch(/column 'a' changed type since the last run.*copied again/);
    const schema = lastSchema(grown.msgs);
    expect(Object.keys(schema.properties.a!.properties!).at(-1)).toBe('floor');
    expect(Object.keys(schema.properties.d!.properties!).at(-1)).toBe('floor');
    const after = records(grown.msgs);
    expect(after.find((r) => r.id === 1)!.a).toMatchObject({ zip: 12345, floor: 3 });
    expect(after.find((r) => r.id === 2)!.a).toMatchObject({ street: '', floor: null });
  });

  it('off (the default): composites are their row literal as a string, as before', async () => {
    const plainConfig = files.write('plain.json', db.config);
    const disc = await runTap(['--config', plainConfig, '--discover']);
    const cat = files.write(
      'plain-catalog.json',
      selectStreams(JSON.parse(disc.stdout), { 'public-comp': { method: 'FULL_TABLE' } }),
    );
    const r = await runTap(['--config', plainConfig, '--catalog', cat]);
    expect(r.code).toBe(0);
    const msgs = parseMessages(r.stdout);
    const schema = lastSchema(msgs);
    for (const c of ['a', 'd', 'p'])
      expect(schema.properties[c]).toEqual({ type: ['null', 'string'] });
    const texts = await db.query<{ id: number; a: string | null; p: string | null }>(
      'SELECT id, a::text AS a, p::text AS p FROM comp ORDER BY id',
    );
    const got = records(msgs);
    for (const t of texts) {
      expect(got.find((g) => g.id === t.id)).toMatchObject({ a: t.a, p: t.p });
    }
  });
});

/**
 * What a run does with changes printed by another layout of the type than the one it read at its
 * start. A bookmark of this tap records each composite's attributes (`column_kinds`), so such a
 * change is normally met only after ALTER TYPE while streaming; a bookmark without them (an
 * older tap's) makes the run read them, deterministically.
 */
describe('composite_as_object: changes of another layout of the type within a run', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;
  let catalogPath: string;

  beforeAll(async () => {
    db = await createTestDatabase('compalter');
    await db.query(`CREATE TYPE pair AS (x text, y int4);
                    CREATE TABLE t (id int PRIMARY KEY, a pair);
                    INSERT INTO t VALUES (1, ROW('one', 1)), (2, ROW('two', 2));
                    CREATE PUBLICATION tap_postgres FOR TABLE t;`);
    config = files.write('config.json', {
      ...db.config,
      composite_as_object: true,
      logical_poll_total_seconds: 5,
    });
    const discovered = JSON.parse((await runTap(['--config', config, '--discover'])).stdout);
    catalogPath = files.write(
      'catalog.json',
      selectStreams(discovered, { 'public-t': { method: 'LOG_BASED' } }),
    );
  });
  afterAll(async () => {
    await db.drop();
  });

  let n = 0;
  /** A run from `msgs`' last STATE with the bookmark's column_kinds left out. */
  const runAfter = async (msgs?: readonly Message[]) => {
    const args = ['--config', config, '--catalog', catalogPath];
    if (msgs) {
      const state = [...msgs].reverse().find((m) => m.type === 'STATE')!.value!;
      const { column_kinds: _k, ...older } = state.bookmarks['public-t']!;
      const s = { ...state, bookmarks: { ...state.bookmarks, 'public-t': older } };
      args.push('--state', files.write(`state-${++n}.json`, s));
    }
    const r = await runTap(args);
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    const out = parseMessages(r.stdout);
    expect(recordSchemaErrors(out)).toEqual([]);
    return { ...r, msgs: out };
  };

  it('fewer fields (written before ADD ATTRIBUTE) or more (before DROP ATTRIBUTE): the stream is copied again, never a value under another name', async () => {
    const first = await runAfter();
    await db.query(`UPDATE t SET id = id WHERE id = 1`);
    await db.query(`ALTER TYPE pair ADD ATTRIBUTE z int4`);
    await db.query(`UPDATE t SET a.z = 9 WHERE id = 2`);
    const grown = await runAfter(first.msgs);
    expect(grown.stderr).toMatch(/other fields than the type's attributes.*copied again/);
    const latest = new Map(records(grown.msgs).map((r) => [r.id, r.a]));
    expect([...latest]).toEqual([
      [1, { x: 'one', y: 1, z: null }],
      [2, { x: 'two', y: 2, z: 9 }],
    ]);

    await db.query(`UPDATE t SET id = id WHERE id = 2`);
    await db.query(`ALTER TYPE pair DROP ATTRIBUTE y`);
    const shrunk = await runAfter(grown.msgs);
    expect(shrunk.stderr).toMatch(/other fields than the type's attributes.*copied again/);
    const schemas = shrunk.msgs.filter((m) => m.type === 'SCHEMA');
    const last = schemas.at(-1)!.schema as { properties: { a: { properties: object } } };
    expect(Object.keys(last.properties.a.properties)).toEqual(['x', 'z']);
    expect(records(shrunk.msgs).map((r) => [r.id, r.a])).toEqual([
      [1, { x: 'one', z: null }],
      [2, { x: 'two', z: 9 }],
    ]);
  });
});

const describeWal2json = wal2jsonSkipped() ? describe.skip : describe;

describeWal2json('composite_as_object through wal2json', () => {
  let db: TestDatabase;
  const files = tempFiles();

  beforeAll(async () => {
    db = await createTestDatabase('compw2j', wal2jsonServerUrl());
    await db.query(SETUP);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('the copy and the streamed changes give the objects FULL_TABLE gives', async () => {
    const config = files.write('config.json', {
      ...db.config,
      composite_as_object: true,
      logical_poll_total_seconds: 5,
      logical_decoding_plugin: 'wal2json',
    });
    const discovered = JSON.parse((await runTap(['--config', config, '--discover'])).stdout);
    const run = async (method: 'FULL_TABLE' | 'LOG_BASED', state?: unknown) => {
      const cat = files.write(
        `${method}.json`,
        selectStreams(discovered, { 'public-comp': { method } }),
      );
      const args = ['--config', config, '--catalog', cat];
      if (state !== undefined) args.push('--state', files.write('state.json', state));
      const r = await runTap(args);
      expect(r.code).toBe(0);
      const msgs = parseMessages(r.stdout);
      expect(recordSchemaErrors(msgs)).toEqual([]);
      return { stdout: r.stdout, msgs };
    };
    const expected = exactRecords((await run('FULL_TABLE')).stdout);
    expect(expected).toHaveLength(4);
    const copy = await run('LOG_BASED');
    expect(exactRecords(copy.stdout)).toEqual(expected);
    await db.query('UPDATE comp SET id = id');
    const state = [...copy.msgs].reverse().find((m) => m.type === 'STATE')!.value;
    const streamed = exactRecords((await run('LOG_BASED', state)).stdout);
    expect([...streamed].sort((x, y) => idOf(x) - idOf(y))).toEqual(expected);
  });
});

describe('the row-literal parser reads what PostgreSQL prints', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('rowlit');
    await db.query(`CREATE TYPE inner2 AS (s text, n int8);
                    CREATE TYPE outer2 AS (t text, i inner2, u text)`);
  });
  afterAll(async () => {
    await db.drop();
  });

  // PostgreSQL's text cannot hold NUL, and a JS string may hold unpaired surrogates.
  const pgText = fc
    .string({ unit: 'binary', maxLength: 12 })
    .map((s) => s.replace(/\0/g, ''))
    .filter((s) => Buffer.from(s, 'utf8').toString('utf8') === s);
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 4 });
  const rows = fc.sample(
    fc.tuple(
      maybe(pgText),
      maybe(pgText),
      maybe(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
      maybe(pgText),
    ),
    { numRuns: 400, seed: 20261203 },
  );

  it('random attribute values, nested composite included, come back as they went in', async () => {
    const out = await db.query<{ lit: string }>(
      `SELECT ROW(t, ROW(s, n)::inner2, u)::outer2::text AS lit
         FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[]) WITH ORDINALITY AS v(t, s, n, u, o)
        ORDER BY o`,
      [
        rows.map((r) => r[0]),
        rows.map((r) => r[1]),
        rows.map((r) => (r[2] === null ? null : r[2].toString())),
        rows.map((r) => r[3]),
      ],
    );
    expect(out).toHaveLength(rows.length);
    out.forEach(({ lit }, i) => {
      const [t, s, n, u] = rows[i]!;
      const [pt, pi, pu] = parseRowLiteral(lit, 3);
      expect([pt, pu]).toEqual([t, u]);
      expect(parseRowLiteral(pi!, 2)).toEqual([s, n === null ? null : n.toString()]);
    });
  });
});
