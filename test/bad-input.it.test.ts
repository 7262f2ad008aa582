import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearSecrets } from '../src/log/redact';
import { loadSchema } from '../src/schemas/schema-validator';
import { selectStreams } from './support/catalog-helpers';
import { contractViolations, describeRun } from './support/output-contract';
import { runTap, spawnTap, tempFiles, type TapRun } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * Bad input: generated malformed and adversarial config, catalog and state documents
 * and flag combinations, each run through the real CLI against a real database. Whatever comes in,
 * the tap exits 0, 1 or 2 as the contract says, prints exactly one CRITICAL line and no stack
 * trace when it fails, and writes nothing a target could commit before rejecting its input.
 * Seeds are fixed so a failure reproduces; `TAP_POSTGRES_FC_RUNS=10` runs ten times as many inputs
 * (about 6,500; minutes instead of seconds).
 */
const RUNS = Number(process.env.TAP_POSTGRES_FC_RUNS ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * RUNS));

type Json = unknown;
interface DiscoveredStream {
  tap_stream_id: string;
  schema: { properties: Record<string, unknown> };
  metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
  [k: string]: unknown;
}
interface Discovered {
  streams: DiscoveredStream[];
}

/** Values chosen to break parsers, casts, SQL and JSON: plus fast-check's own JSON values. */
const NASTY_CONSTANTS: Json[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1.5,
  2 ** 53 + 1,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '99999999999999999999999999999',
  '-1',
  '0x10',
  'true',
  'false',
  'null',
  '/etc/passwd',
  '../../../../etc/shadow',
  "'; DROP TABLE public.items; --",
  '"; DROP TABLE public.items; --',
  '\\',
  '\u202eevil',
  '🐘🐘',
  'é'.normalize('NFD'),
  '\ud800',
  'x'.repeat(70000),
  '-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----',
  '__proto__',
  'constructor',
  'toString',
  {},
  [],
  [[[[[[[[[[[]]]]]]]]]]],
  { __proto__: { polluted: true } },
  JSON.parse('{"__proto__": {"polluted": true}}'),
  { a: { b: { c: { d: { e: { f: 'deep' } } } } } },
];
const nasty: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_CONSTANTS) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
);

/** Bytes that are not a usable JSON document of the expected kind. */
const BAD_FILE_TEXTS: Array<string | Buffer> = [
  '',
  ' \n',
  'null',
  '[]',
  '"text"',
  '42',
  '{',
  '{"a":',
  '{"a": 1} {"b": 2}',
  '\uFEFF{"a": 1',
  '{"a": NaN}',
  "{'a': 1}",
  '{"a": 1,}',
  Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), // UTF-16 LE "{}"
  Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), // invalid UTF-8
  Buffer.from([0x00, 0x01, 0x02]),
  '['.repeat(10000),
];
const badFile: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.constantFrom(...BAD_FILE_TEXTS),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 64 }),
);

// Each property runs hundreds of real CLI runs; on a loaded 2-core machine that can pass a minute.
jest.setTimeout(180_000 * RUNS);

describe('bad input never crashes the tap (property-based)', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let n = 0;
  let goodConfig: Record<string, unknown>;
  let goodConfigFile: string;
  let discovered: Discovered;
  let goodCatalogFile: string;
  let goodStateFile: string;
  /** Inputs tried, by property (reported at the end). */
  const tried: Record<string, number> = {};
  /** Exit codes seen, by property: shows the generators reach past the first check. */
  const outcomes: Record<string, Record<number, number>> = {};

  const file = (content: string | Buffer | Json, ext = 'json') => {
    const p = join(files.dir, `in-${++n}.${ext}`);
    writeFileSync(
      p,
      typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content),
    );
    return p;
  };

  async function check(
    property: string,
    argv: string[],
    allowed: readonly number[],
    spawn = false,
  ): Promise<TapRun> {
    tried[property] = (tried[property] ?? 0) + 1;
    // A generated password like 'INFO' would otherwise mask words of later runs' output.
    clearSecrets();
    const r = spawn ? await spawnTap(argv) : await runTap(argv);
    const seen = (outcomes[property] ??= {});
    seen[r.code] = (seen[r.code] ?? 0) + 1;
    const problems = contractViolations(r, { allowed });
    if (problems.length > 0)
      throw new Error(`${problems.join('; ')}\nargv: ${argv.join(' ')}\n${describeRun(r)}`);
    return r;
  }

  beforeAll(async () => {
    db = await createTestDatabase('badinput');
    await db.query(`
      CREATE TABLE public.items (id int PRIMARY KEY, name text, updated_at timestamptz, n numeric(30,0));
      INSERT INTO public.items SELECT i, 'n' || i, '2024-01-01'::timestamptz + i * interval '1 day', i FROM generate_series(1, 5) i;
      CREATE TABLE public.big (id bigint PRIMARY KEY, v text);
      INSERT INTO public.big VALUES (9007199254740993, 'a'), (9223372036854775807, 'b');
    `);
    goodConfig = { ...db.config, filter_schemas: 'public' };
    goodConfigFile = file(goodConfig);
    const r = await runTap(['--config', goodConfigFile, '--discover']);
    expect(r.code).toBe(0);
    discovered = JSON.parse(r.stdout) as Discovered;
    goodCatalogFile = file(
      selectStreams(discovered, {
        'public-items': { method: 'INCREMENTAL', replicationKey: 'updated_at' },
        'public-big': { method: 'FULL_TABLE' },
      }),
    );
    goodStateFile = file({ bookmarks: {} });
  });
  afterAll(async () => {
    await db.drop();
    const total = Object.values(tried).reduce((a, b) => a + b, 0);
    // The count, visible in the test output.
    console.log(`bad inputs tried: ${total}; exit codes by kind: ${JSON.stringify(outcomes)}`);
  });

  it('config documents: garbage, wrong types, huge numbers, unicode', async () => {
    const keys = Object.keys(loadSchema('config').properties as Record<string, unknown>);
    // Random host names would be looked up in DNS: hosts stay on this machine or are not strings.
    const host = fc.oneof(
      fc.constantFrom('127.0.0.1', 'localhost', '', 'h\u0000st', '/nonexistent-socket-dir'),
      nasty.filter((v) => typeof v !== 'string'),
    );
    const patch = fc.dictionary(
      fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })),
      nasty,
      { maxKeys: 4 },
    );
    const doc = fc.oneof(
      { weight: 1, arbitrary: nasty },
      {
        weight: 4,
        arbitrary: fc
          .tuple(patch, fc.option(host, { nil: undefined }), fc.subarray(['dbname', 'user']))
          .map(([p, h, drop]) => {
            const c: Record<string, Json> = { ...goodConfig };
            for (const d of drop) delete c[d];
            Object.assign(c, p);
            if (
              h !== undefined ||
              (typeof c.host === 'string' && !/^(127\.0\.0\.1|localhost)$/.test(c.host))
            )
              c.host = h ?? '127.0.0.1';
            return c;
          }),
      },
    );
    await fc.assert(
      fc.asyncProperty(doc, async (d) => {
        await check('config', ['--config', file(d), '--discover'], [0, 1, 2]);
      }),
      { numRuns: runs(100), seed: 8001 },
    );
  });

  it('files that are not JSON documents (empty, bytes, invalid UTF-8) for config, catalog and state', async () => {
    await fc.assert(
      fc.asyncProperty(badFile, fc.constantFrom('config', 'catalog', 'state'), async (f, which) => {
        const p = file(f);
        const argv =
          which === 'config'
            ? ['--config', p, '--discover']
            : which === 'catalog'
              ? ['--config', goodConfigFile, '--catalog', p]
              : ['--config', goodConfigFile, '--catalog', goodCatalogFile, '--state', p];
        await check('files', argv, [2]);
      }),
      { numRuns: runs(60), seed: 8002 },
    );
  });

  it('catalog documents: garbage and schema-invalid', async () => {
    const stream = fc.dictionary(
      fc.constantFrom('tap_stream_id', 'stream', 'table_name', 'schema', 'metadata', 'selected'),
      nasty,
    );
    const doc = fc.oneof(
      nasty,
      fc.record({ streams: nasty }),
      fc.record({ streams: fc.array(fc.oneof(nasty, stream), { maxLength: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(doc, async (d) => {
        await check('catalog-garbage', ['--config', goodConfigFile, '--catalog', file(d)], [0, 2]);
      }),
      { numRuns: runs(80), seed: 8003 },
    );
  });

  it('valid catalogs with bogus metadata, missing or renamed tables and columns, odd keys', async () => {
    const columnNames = ['id', 'name', 'updated_at', 'n'];
    const name = fc.oneof(
      fc.constantFrom(...columnNames, 'nope', '__proto__', 'toString', 'constructor', '', 'ID'),
      fc.string({ unit: 'binary', maxLength: 12 }),
    );
    const rootKeys = [
      'selected',
      'replication-method',
      'forced-replication-method',
      'replication-key',
      'table-key-properties',
      'schema-name',
      'is-view',
      'valid-replication-keys',
      'database-name',
      'row-count',
    ];
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('root' as const),
        key: fc.constantFrom(...rootKeys),
        value: nasty,
      }),
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('root' as const),
          key: fc.constantFrom('replication-key', 'table-key-properties'),
          value: fc.oneof(name, fc.array(name, { maxLength: 3 })),
        }),
      },
      fc.record({
        kind: fc.constant('root' as const),
        key: fc.constantFrom('replication-method', 'forced-replication-method'),
        value: fc.constantFrom('FULL_TABLE', 'INCREMENTAL', 'LOG_BASED', '', null, 'full_table'),
      }),
      fc.record({
        kind: fc.constant('column' as const),
        column: fc.constantFrom(...columnNames),
        key: fc.constantFrom('selected', 'inclusion', 'sql-datatype', 'selected-by-default'),
        value: nasty,
      }),
      fc.record({
        kind: fc.constant('stream' as const),
        key: fc.constantFrom(
          'tap_stream_id',
          'stream',
          'table_name',
          'key_properties',
          'replication_method',
          'replication_key',
          'is_view',
        ),
        value: fc.oneof(nasty, name),
      }),
      fc.record({ kind: fc.constant('addColumn' as const), column: name, schema: nasty }),
      fc.record({
        kind: fc.constant('dropColumn' as const),
        column: fc.constantFrom(...columnNames),
      }),
    );
    const method = fc.constantFrom('FULL_TABLE', 'INCREMENTAL', 'LOG_BASED');
    await fc.assert(
      fc.asyncProperty(method, fc.array(op, { minLength: 1, maxLength: 4 }), async (m, ops) => {
        const catalog = selectStreams(discovered, {
          'public-items': {
            method: m,
            ...(m === 'INCREMENTAL' ? { replicationKey: 'updated_at' } : {}),
          },
        }) as Discovered;
        const s = catalog.streams.find((x) => x.tap_stream_id === 'public-items')!;
        for (const o of ops) {
          if (o.kind === 'root') s.metadata[0]!.metadata[o.key] = o.value;
          else if (o.kind === 'column') {
            const e = s.metadata.find((x) => x.breadcrumb[1] === o.column);
            if (e) e.metadata[o.key] = o.value;
          } else if (o.kind === 'stream') (s as Record<string, unknown>)[o.key] = o.value;
          else if (o.kind === 'addColumn') {
            s.schema.properties[o.column] = o.schema;
            s.metadata.push({ breadcrumb: ['properties', o.column], metadata: {} });
          } else {
            delete s.schema.properties[o.column];
          }
        }
        // 1: LOG_BASED here has no publication, a set-up failure found before anything is written.
        await check(
          'catalog-bogus',
          ['--config', goodConfigFile, '--catalog', file(catalog)],
          [0, 1, 2],
        );
      }),
      { numRuns: runs(150), seed: 8004 },
    );
  });

  it('state documents: garbage, wrong types, huge numbers, bookmarks of another shape', async () => {
    const bookmark = fc.dictionary(
      fc.constantFrom(
        'last_replication_method',
        'version',
        'xmin',
        'replication_key',
        'replication_key_value',
        'lsn',
        'last_pk_fetched',
      ),
      fc.oneof(
        nasty,
        fc.constantFrom('FULL_TABLE', 'INCREMENTAL', 'LOG_BASED', 'updated_at', 'id', '_sdc_lsn'),
        fc.dictionary(fc.constantFrom('id', 'x', '__proto__'), nasty, { maxKeys: 2 }),
      ),
      { maxKeys: 5 },
    );
    const doc = fc.oneof(
      { weight: 1, arbitrary: nasty },
      {
        weight: 1,
        arbitrary: fc.record({ currently_syncing: nasty, bookmarks: nasty }, { requiredKeys: [] }),
      },
      {
        weight: 5,
        arbitrary: fc
          .record(
            {
              currently_syncing: fc.constantFrom(null, 'public-items', 'public-big', 'nope'),
              bookmarks: fc.dictionary(
                fc.constantFrom('public-items', 'public-big', 'public-nope'),
                bookmark,
                { maxKeys: 2 },
              ),
            },
            { requiredKeys: ['bookmarks'] },
          )
          .chain((v) => fc.constantFrom(v, { type: 'STATE', value: v })),
      },
    );
    await fc.assert(
      fc.asyncProperty(doc, async (d) => {
        await check(
          'state',
          ['--config', goodConfigFile, '--catalog', goodCatalogFile, '--state', file(d)],
          [0, 2],
        );
      }),
      { numRuns: runs(120), seed: 8005 },
    );
  });

  it('flag combinations', async () => {
    const token = fc.oneof(
      fc.constantFrom(
        '--config',
        '-c',
        '--discover',
        '-d',
        '--catalog',
        '--properties',
        '-p',
        '--state',
        '-s',
        '--about',
        '--format',
        'json',
        'markdown',
        'yaml',
        '--test',
        '--test=schema',
        '--test=rows',
        '--check',
        '--log-level',
        'debug',
        'loud',
        '--help',
        '--version',
        '--',
        '-',
        '--config=',
        '--catalog=',
        'ENV',
        '--no-discover',
        '--discover=false',
        '--unknown',
      ),
      fc.constant('GOOD_CONFIG'),
      fc.constant('GOOD_CATALOG'),
      fc.constant('GOOD_STATE'),
      fc.string({ maxLength: 6 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 7 }), async (tokens) => {
        const argv = tokens.map((t) =>
          t === 'GOOD_CONFIG'
            ? goodConfigFile
            : t === 'GOOD_CATALOG'
              ? goodCatalogFile
              : t === 'GOOD_STATE'
                ? goodStateFile
                : t,
        );
        await check('flags', argv, [0, 2]);
      }),
      { numRuns: runs(100), seed: 8006 },
    );
  });

  it('the installed binary keeps the same contract (spawned processes)', async () => {
    const kind = fc.constantFrom('config', 'catalog', 'state', 'bytes');
    await fc.assert(
      fc.asyncProperty(kind, nasty, badFile, async (k, value, bytes) => {
        const argv =
          k === 'config'
            ? ['--config', file({ ...goodConfig, port: value }), '--discover']
            : k === 'catalog'
              ? ['--config', goodConfigFile, '--catalog', file({ streams: [value] })]
              : k === 'state'
                ? [
                    '--config',
                    goodConfigFile,
                    '--catalog',
                    goodCatalogFile,
                    '--state',
                    file({ bookmarks: { 'public-items': { replication_key_value: value } } }),
                  ]
                : ['--config', file(bytes), '--discover'];
        await check('spawned', argv, [0, 1, 2], true);
      }),
      { numRuns: runs(6), seed: 8007 },
    );
  });
});

describe('catalogs and states that no longer match the database', () => {
  let db: TestDatabase;
  let other: TestDatabase;
  const files = tempFiles();
  let config: string;
  let discovered: Discovered;
  const catalog = (sel: Parameters<typeof selectStreams>[1], edit?: (c: Discovered) => void) => {
    const c = selectStreams(discovered, sel) as Discovered;
    edit?.(c);
    return files.write(`catalog-${Math.random()}.json`, c);
  };
  const state = (value: unknown) => files.write(`state-${Math.random()}.json`, value);
  /** Exit code as the contract says, one CRITICAL line matching `message`, nothing committable. */
  const expectRefused = (r: TapRun, code: 1 | 2, message: RegExp) => {
    expect(contractViolations(r, { allowed: [code] })).toEqual([]);
    expect(r.stdout).toBe('');
    expect(r.stderrLines.find((l) => l.startsWith('CRITICAL'))).toMatch(message);
  };

  beforeAll(async () => {
    db = await createTestDatabase('stale');
    other = await createTestDatabase('otherdb');
    await db.query(`
      CREATE TABLE public.items (id int PRIMARY KEY, name text, gone text, updated_at timestamptz);
      INSERT INTO public.items VALUES (1, 'a', 'x', '2024-01-01Z');
      CREATE TABLE public.doomed (id int PRIMARY KEY);
      CREATE TABLE public.big (id bigint PRIMARY KEY, v text);
      INSERT INTO public.big VALUES (9007199254740993, 'a'), (9223372036854775807, 'b');
      CREATE PUBLICATION tap_postgres FOR TABLE public.items;
    `);
    config = files.write('config.json', { ...db.config, filter_schemas: 'public' });
    const r = await runTap(['--config', config, '--discover']);
    expect(r.code).toBe(0);
    discovered = JSON.parse(r.stdout) as Discovered;
    await db.query(`DROP TABLE public.doomed; ALTER TABLE public.items DROP COLUMN gone`);
  });
  afterAll(async () => {
    await db.drop();
    await other.drop();
  });

  it('a stream naming a table that no longer exists: exit 2, run --discover again', async () => {
    const k = catalog({
      'public-items': { method: 'FULL_TABLE' },
      'public-doomed': { method: 'FULL_TABLE' },
    });
    expectRefused(
      await runTap(['--config', config, '--catalog', k]),
      2,
      /catalog stream public-doomed: table public.doomed does not exist .*run --discover again/,
    );
  });

  it('a selected column that was dropped: exit 2, naming the column', async () => {
    const k = catalog({ 'public-items': { method: 'FULL_TABLE' } });
    expectRefused(
      await runTap(['--config', config, '--catalog', k]),
      2,
      /catalog stream public-items: column 'gone' no longer exists; run --discover again or deselect it/,
    );
  });

  it('a dropped column that is deselected is simply not read', async () => {
    const k = catalog({ 'public-items': { method: 'FULL_TABLE', deselect: ['gone'] } });
    const r = await runTap(['--config', config, '--catalog', k]);
    expect(r.code).toBe(0);
  });

  it.each([
    ['a name that is no column', 'nope'],
    ["Object.prototype's toString", 'toString'],
    ['__proto__', '__proto__'],
    ['constructor', 'constructor'],
  ])('a replication key that is not a column (%s): exit 2', async (_what, key) => {
    const k = catalog({
      'public-items': { method: 'INCREMENTAL', replicationKey: key, deselect: ['gone'] },
    });
    expectRefused(
      await runTap(['--config', config, '--catalog', k]),
      2,
      new RegExp(`replication key '${key}' is not a column of the stream's schema`),
    );
  });

  it('a key property that is not a column (hasOwnProperty): exit 2', async () => {
    const k = catalog({ 'public-items': { method: 'FULL_TABLE', deselect: ['gone'] } }, (c) => {
      c.streams.find((s) => s.tap_stream_id === 'public-items')!.metadata[0]!.metadata[
        'table-key-properties'
      ] = ['hasOwnProperty'];
    });
    expectRefused(
      await runTap(['--config', config, '--catalog', k]),
      2,
      /key property 'hasOwnProperty' is not a column/,
    );
  });

  it('a replication key the catalog has but the table dropped: exit 2', async () => {
    const k = catalog({ 'public-items': { method: 'INCREMENTAL', replicationKey: 'gone' } });
    expectRefused(
      await runTap(['--config', config, '--catalog', k]),
      2,
      /column 'gone' no longer exists/,
    );
  });

  it.each([
    [
      'not a timestamp',
      'FULL_TABLE',
      /replication_key_value "FULL_TABLE" is not a value of 'updated_at'/,
    ],
    ['an object', { a: 1 }, /replication_key_value must be a string or a number/],
    ['a date out of range', '99999-99-99', /is not a value of 'updated_at'/],
  ])(
    'an INCREMENTAL bookmark that is %s: exit 2 before any stream is written',
    async (_w, v, message) => {
      const k = catalog({
        'public-big': { method: 'FULL_TABLE' },
        'public-items': { method: 'INCREMENTAL', replicationKey: 'updated_at', deselect: ['gone'] },
      });
      const s = state({
        bookmarks: { 'public-items': { replication_key: 'updated_at', replication_key_value: v } },
      });
      expectRefused(await runTap(['--config', config, '--catalog', k, '--state', s]), 2, message);
    },
  );

  it('a FULL_TABLE resume key that is not a key value: exit 2', async () => {
    const k = catalog({ 'public-big': { method: 'FULL_TABLE' } });
    const s = state({
      bookmarks: { 'public-big': { version: 1, last_pk_fetched: { id: 'twelve' } } },
    });
    expectRefused(
      await runTap(['--config', config, '--catalog', k, '--state', s]),
      2,
      /last_pk_fetched "twelve" is not a value of 'id'/,
    );
  });

  it('a LOG_BASED lsn beyond 2^53: exit 2', async () => {
    const k = catalog({ 'public-items': { method: 'LOG_BASED', deselect: ['gone'] } });
    const s = state({ bookmarks: { 'public-items': { lsn: 1e300 } } });
    expectRefused(
      await runTap(['--config', config, '--catalog', k, '--state', s]),
      2,
      /lsn must be a non-negative integer/,
    );
  });

  it('bigint bookmarks beyond 2^53 are read with every digit (no rounding to an out-of-range value)', async () => {
    const k = catalog({ 'public-big': { method: 'INCREMENTAL', replicationKey: 'id' } });
    // Written as the tap writes it: a JSON number with all its digits.
    const s = files.write(
      'big-state.json',
      '{"bookmarks":{"public-big":{"replication_key":"id","replication_key_value":9223372036854775807}}}',
    );
    const r = await runTap(['--config', config, '--catalog', k, '--state', s]);
    expect(r.stderr).toBe(r.stderr.replace(/CRITICAL.*/, ''));
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.includes('"RECORD"'));
    expect(lines).toEqual([expect.stringContaining('"id":9223372036854775807,')]);
    expect(r.stdout).toContain('"replication_key_value":9223372036854775807}');
  });

  it('a state with an LSN while the slot does not exist: exit 1 before any stream is written', async () => {
    const k = catalog({
      'public-big': { method: 'FULL_TABLE' },
      'public-items': { method: 'LOG_BASED', deselect: ['gone'] },
    });
    const s = state({
      bookmarks: { 'public-items': { last_replication_method: 'LOG_BASED', lsn: 123456 } },
    });
    expectRefused(
      await runTap(['--config', config, '--catalog', k, '--state', s]),
      1,
      /replication slot 'tap_postgres_stale_\w+' does not exist but the state has an LSN for public-items: changes since then are lost to the slot: set 'resnapshot_on_slot_loss': true, or remove the stream's bookmark/,
    );
  });

  it("a slot of another database (a state from another database's run): exit 1 naming both databases", async () => {
    const slot = `shared_${other.name}`;
    await other.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    const cfg = files.write('other-slot.json', { ...db.config, replication_slot: slot });
    const k = catalog({
      'public-big': { method: 'FULL_TABLE' },
      'public-items': { method: 'LOG_BASED', deselect: ['gone'] },
    });
    for (const s of [undefined, state({ bookmarks: { 'public-items': { lsn: 123456 } } })]) {
      const r = await runTap(['--config', cfg, '--catalog', k, ...(s ? ['--state', s] : [])]);
      expectRefused(
        r,
        1,
        new RegExp(
          `replication slot '${slot}' belongs to database '${other.name}', not '${db.name}'.*set replication_slot`,
        ),
      );
    }
  });
});
