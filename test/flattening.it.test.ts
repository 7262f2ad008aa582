import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  lastState,
  parseMessages,
  records,
  selectStreams,
  type Message,
} from './support/catalog-helpers';
import { recordSchemaErrors } from './support/record-schemas';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

interface CatalogStream {
  tap_stream_id: string;
  schema: { properties: Record<string, unknown> };
  metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
}
interface Catalog {
  streams: CatalogStream[];
}

/** What the catalog may declare of a jsonb column: then flattening expands it (the SDK's rule). */
const DECLARED = {
  type: ['object', 'null'],
  properties: {
    a: { type: ['integer', 'null'] },
    b: {
      type: ['object', 'null'],
      properties: { c: { type: ['string', 'null'] }, d: { type: ['number', 'null'] } },
    },
    e: { type: ['array', 'null'] },
  },
};

/**
 * Schema flattening (flattening_enabled / flattening_max_depth) as the Meltano SDK does it, in
 * FULL_TABLE, INCREMENTAL and LOG_BASED, after stream maps, into RECORD lines and batch files.
 */
describe('schema flattening', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let n = 0;
  const flat = { flattening_enabled: true, flattening_max_depth: 2 };

  const discover = async (): Promise<Catalog> => {
    const r = await runTap(['--config', files.write('d.json', db.config), '--discover']);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Catalog;
  };
  /** A catalog of `table` with `method`, its `doc` property declared as DECLARED if asked. */
  const catalogOf = async (
    table: string,
    method: 'FULL_TABLE' | 'INCREMENTAL' | 'LOG_BASED',
    declare: boolean,
  ) => {
    const c = selectStreams(await discover(), {
      [`public-${table}`]: {
        method,
        ...(method === 'INCREMENTAL' ? { replicationKey: 'id' } : {}),
      },
    }) as Catalog;
    const s = c.streams.find((x) => x.tap_stream_id === `public-${table}`)!;
    if (declare) s.schema.properties.doc = DECLARED;
    return files.write(`catalog-${++n}.json`, c);
  };
  const run = async (catalog: string, config: Record<string, unknown>, state?: unknown) => {
    const argv = ['--config', files.write(`c-${++n}.json`, { ...db.config, ...config })];
    argv.push('--catalog', catalog);
    if (state !== undefined) argv.push('--state', files.write(`s-${n}.json`, state));
    const r = await runTap(argv);
    if (r.code !== 0) throw new Error(r.stderr);
    const msgs = parseMessages(r.stdout);
    expect(recordSchemaErrors(msgs)).toEqual([]);
    return { ...r, msgs };
  };
  const schemaProps = (msgs: Message[]) =>
    (msgs.find((m) => m.type === 'SCHEMA')!.schema as { properties: Record<string, unknown> })
      .properties;

  beforeAll(async () => {
    db = await createTestDatabase('flat');
    await db.query(`
      CREATE TYPE money_amount AS (currency char(3), value numeric(30,10), at timestamptz);
      CREATE TABLE docs (id int PRIMARY KEY, doc jsonb, price money_amount, tags text[]);
      INSERT INTO docs VALUES
        (1, '{"a": 1, "b": {"c": "ü", "d": 12345678901234567890.5}, "e": [1, {"x": 2}], "z": true}',
            ('EUR', 1234567890.0123456789, '2024-01-02 03:04:05.123456+00'), '{x,y}'),
        (2, '5', NULL, NULL),
        (3, NULL, ('USD', NULL, NULL), '{}'),
        (4, '{"b": null}', ('GBP', -1, '2024-01-01Z'), '{"a,b"}');
      CREATE PUBLICATION tap_postgres FOR TABLE docs;
    `);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('a jsonb column the catalog does not describe becomes its JSON text, as the SDK does', async () => {
    const r = await run(await catalogOf('docs', 'FULL_TABLE', false), flat);
    expect(schemaProps(r.msgs)).toMatchObject({
      doc: { type: ['string', 'null'] },
      tags: { type: ['string', 'null'] },
      price__currency: { type: ['null', 'string'] },
      price__value: { type: ['null', 'number'] },
    });
    const recs = records(r.msgs);
    expect(recs[0]).toEqual({
      id: 1,
      // The SDK's serializer: compact, non-ASCII as \u escapes, every digit kept.
      doc: '{"a":1,"b":{"c":"\\u00fc","d":12345678901234567890.5},"e":[1,{"x":2}],"z":true}',
      price__currency: 'EUR',
      price__value: expect.any(Number) as number,
      price__at: '2024-01-02T03:04:05.123456+00:00',
      tags: '["x","y"]',
    });
    // A scalar document is text too, so the record still validates against the flattened SCHEMA.
    expect(recs[1]!.doc).toBe('5');
    expect(recs[2]).toEqual({
      id: 3,
      doc: null,
      price__currency: 'USD',
      price__value: null,
      price__at: null,
      tags: '[]',
    });
    // The exact digits on the wire, not only after JSON.parse.
    expect(r.stdout).toContain('"price__value":1234567890.0123456789,');
  });

  it('a jsonb column the catalog describes is expanded down to the depth', async () => {
    const catalog = await catalogOf('docs', 'FULL_TABLE', true);
    const deep = await run(catalog, flat);
    expect(Object.keys(schemaProps(deep.msgs))).toEqual([
      'id',
      'doc__a',
      'doc__b__c',
      'doc__b__d',
      'doc__e',
      'price__currency',
      'price__value',
      'price__at',
      'tags',
    ]);
    const [first, , third, fourth] = records(deep.msgs);
    expect(first).toMatchObject({
      doc__a: 1,
      doc__b__c: 'ü',
      doc__b__d: expect.any(Number) as number,
      doc__e: '[1,{"x":2}]',
      // A key the schema does not declare is still expanded (the SDK flattens the record's keys).
      doc__z: true,
    });
    expect(deep.stdout).toContain('"doc__b__d":12345678901234567890.5');
    expect(third).toMatchObject({ doc: null });
    expect(fourth).toMatchObject({ doc__b: null });
    const shallow = await run(catalog, { ...flat, flattening_max_depth: 1 });
    expect(records(shallow.msgs)[0]).toMatchObject({
      doc__a: 1,
      doc__b: '{"c":"\\u00fc","d":12345678901234567890.5}',
    });
  });

  it('INCREMENTAL and LOG_BASED (copy and changes) give the same flattened records as FULL_TABLE', async () => {
    const full = records((await run(await catalogOf('docs', 'FULL_TABLE', true), flat)).msgs);
    const incr = records((await run(await catalogOf('docs', 'INCREMENTAL', true), flat)).msgs);
    expect(incr).toEqual(full);
    const logCatalog = await catalogOf('docs', 'LOG_BASED', true);
    const first = await run(logCatalog, flat);
    const strip = (r: Record<string, unknown>) => {
      const { _sdc_lsn: _l, _sdc_deleted_at: _d, ...rest } = r;
      return rest;
    };
    expect(records(first.msgs).map(strip)).toEqual(full);
    await db.query(`
      INSERT INTO docs VALUES (5, '{"a": 7, "b": {"c": "new", "d": 0.1}}', ('CHF', 2.5, NULL), '{q}');
      UPDATE docs SET doc = '{"a": 8}' WHERE id = 1;
      DELETE FROM docs WHERE id = 2;
    `);
    const second = await run(logCatalog, flat, lastState(first.msgs));
    const changes = records(second.msgs);
    if (changes.length !== 3) throw new Error(second.stdout + second.stderr);
    expect(changes.map((r) => r.id)).toEqual([5, 1, 2]);
    expect(changes[0]).toMatchObject({
      doc__a: 7,
      doc__b__c: 'new',
      doc__b__d: 0.1,
      price__value: 2.5,
    });
    expect(changes[1]).toMatchObject({ doc__a: 8, _sdc_deleted_at: null });
    expect(changes[1]).not.toHaveProperty('doc__b__c');
    expect(changes[2]!._sdc_deleted_at).toEqual(expect.any(String));
    expect(typeof changes[0]!._sdc_lsn).toBe('number');
    await db.query(`
      DELETE FROM docs WHERE id = 5;
      INSERT INTO docs (id, doc) VALUES (2, '5');
      UPDATE docs SET doc = '{"a": 1, "b": {"c": "ü", "d": 12345678901234567890.5}, "e": [1, {"x": 2}], "z": true}'
       WHERE id = 1;
    `);
  });

  it('runs after the stream maps, and batch files hold the flattened records', async () => {
    const root = files.dir;
    const r = await run(await catalogOf('docs', 'FULL_TABLE', true), {
      ...flat,
      stream_maps: { 'public-docs': { price: null, label: "str(id) + '-' + str(doc__a)" } },
      batch_config: {
        encoding: { format: 'jsonl', compression: 'gzip' },
        storage: { root: `file://${root}`, prefix: 'flat-' },
      },
    }).catch((e: Error) => e);
    // A map reads the stream's properties before flattening: doc__a is not one of them.
    expect(String(r)).toMatch(/reads 'doc__a', which is not a property/);
    const ok = await run(await catalogOf('docs', 'FULL_TABLE', true), {
      ...flat,
      stream_maps: {
        'public-docs': {
          price: null,
          label: "str(id) + '-' + str(doc['a'] if id in (1, 5) else None)",
        },
      },
      batch_config: {
        encoding: { format: 'jsonl', compression: 'gzip' },
        storage: { root: `file://${root}`, prefix: 'flat-' },
      },
    });
    expect(records(ok.msgs)).toEqual([]);
    expect(Object.keys(schemaProps(ok.msgs))).toEqual([
      'id',
      'doc__a',
      'doc__b__c',
      'doc__b__d',
      'doc__e',
      'tags',
      'label',
    ]);
    const batches = ok.msgs.filter((m) => m.type === 'BATCH');
    expect(batches.length).toBeGreaterThan(0);
    const lines = readdirSync(root)
      .filter((f) => f.startsWith('flat-') && f.endsWith('.json.gz'))
      .flatMap((f) =>
        gunzipSync(readFileSync(join(root, f)))
          .toString('utf8')
          .trim()
          .split('\n'),
      )
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const first = lines.find((l) => l.id === 1)!;
    expect(first).toMatchObject({ doc__a: 1, doc__b__c: 'ü', label: '1-1' });
    expect(first).not.toHaveProperty('price__currency');
  });

  it('generated documents: each flattened record holds exactly the leaves of its document', async () => {
    await db.query(`CREATE TABLE gen (id int PRIMARY KEY, doc jsonb)`);
    // jsonb refuses NUL in strings.
    const str = (o: fc.StringConstraints = {}) => fc.string(o).filter((x) => !x.includes('\u0000'));
    const leaf = fc.oneof(
      fc.integer(),
      str(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
    );
    const docs = fc.sample(
      fc.record(
        {
          a: fc.integer(),
          b: fc.oneof(
            fc.constant(null),
            fc.record({ c: str(), d: fc.integer() }, { requiredKeys: [] }),
          ),
          e: fc.array(leaf, { maxLength: 3 }),
          k: fc.dictionary(
            str({ minLength: 1, maxLength: 3 }).filter((x) => !x.includes('_')),
            leaf,
            { maxKeys: 2 },
          ),
        },
        { requiredKeys: [] },
      ),
      { numRuns: 80, seed: Number(process.env.TAP_POSTGRES_FLATTEN_SEED ?? 7) },
    );
    for (const [i, d] of docs.entries()) {
      await db.query(`INSERT INTO gen VALUES ($1, $2)`, [i, JSON.stringify(d)]);
    }
    const c = selectStreams(await discover(), {
      'public-gen': { method: 'FULL_TABLE' },
    }) as Catalog;
    c.streams.find((x) => x.tap_stream_id === 'public-gen')!.schema.properties.doc = DECLARED;
    const r = await run(files.write('gen.json', c), flat);
    const got = records(r.msgs);
    expect(got).toHaveLength(docs.length);
    // The reference: the SDK's rule written out for this schema and depth 2. A declared object is
    // expanded, any other object is expanded too while above the depth, arrays and deeper objects
    // are JSON text (compact, ASCII), scalars stay.
    const text = (v: unknown) =>
      JSON.stringify(v).replace(
        /[\u007f-\uffff]/g,
        (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
    const reference = (id: number, d: Record<string, unknown>) => {
      const out: Record<string, unknown> = { id };
      for (const [k, v] of Object.entries(PostgresOrder(d))) {
        const key = `doc__${k}`;
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          for (const [k2, v2] of Object.entries(PostgresOrder(v as Record<string, unknown>))) {
            out[`${key}__${k2}`] = v2 !== null && typeof v2 === 'object' ? text(v2) : v2;
          }
        } else out[key] = Array.isArray(v) ? text(v) : v;
      }
      return out;
    };
    got.forEach((rec, i) => expect(rec).toEqual(reference(i, docs[i]! as Record<string, unknown>)));
  });
});

/** jsonb's own key order: shorter keys first, then bytewise (what PostgreSQL gives back). */
function PostgresOrder(d: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(d).sort((x, y) => {
    const bx = Buffer.from(x);
    const by = Buffer.from(y);
    return bx.length - by.length || Buffer.compare(bx, by);
  });
  return Object.fromEntries(keys.map((k) => [k, d[k]]));
}
