import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { validatorFor } from '../src/schemas/schema-validator';
import { parseMessages, selectStreams, type Message } from './support/catalog-helpers';
import { runTap, tempFiles } from './support/run-tap';
import { killLeftoverTaps, killWhen } from './support/tap-process';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/** The record objects of a RECORD-mode run's stdout, as the exact bytes each line carries. */
function recordObjects(stdout: string, stream: string): string[] {
  const head = `{"type":"RECORD","stream":${JSON.stringify(stream)},"record":`;
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(head))
    .map((l) => l.slice(head.length).replace(/(,"version":\d+)?,"time_extracted":"[^"]*"\}$/, ''));
}

/** The lines of a batch file (gunzipped when the name says so). */
function fileLines(uri: string): string[] {
  const path = fileURLToPath(uri);
  const raw = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

const batches = (msgs: Message[], stream?: string) =>
  msgs.filter((m) => m.type === 'BATCH' && (!stream || m.stream === stream));

/** Every record object a run's BATCH messages announce, in order. */
const batchedObjects = (msgs: Message[], stream: string) =>
  batches(msgs, stream).flatMap((m) => (m.manifest as string[]).flatMap(fileLines));

describe('BATCH messages (batch_config)', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let discovered: Parameters<typeof selectStreams>[0];
  const catalog = (name: string, sel: Parameters<typeof selectStreams>[1]) =>
    files.write(name, selectStreams(discovered, sel));
  // Config files get a name of their own: a catalog of the same name would overwrite one.
  const config = (name: string, extra: Record<string, unknown>) =>
    files.write(`config-${name}`, { ...db.config, ...extra });
  const gzipBatches = (root: string, extra: Record<string, unknown> = {}) => ({
    encoding: { format: 'jsonl', compression: 'gzip' },
    storage: { root: `file://${root}`, prefix: 'run-' },
    ...extra,
  });

  beforeAll(async () => {
    db = await createTestDatabase('batch');
    await db.query(`
      CREATE TABLE items (id int PRIMARY KEY, label text, amount numeric(30,10), at timestamptz, doc jsonb, tags text[]);
      INSERT INTO items SELECT i,
        CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN 'línea ' || i || E'\\n"quoted"\\t' WHEN 2 THEN repeat('x', i % 300) ELSE md5(i::text) END,
        (i * 12345.6789012345)::numeric(30,10) * CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END,
        '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 minute 1.000001 second',
        jsonb_build_object('i', i, 'big', 12345678901234567890::numeric + i),
        ARRAY['a' || i, NULL, 'é']
      FROM generate_series(1, 2500) i;
      CREATE TABLE events (id int PRIMARY KEY, v text);
      INSERT INTO events SELECT i, 'e' || i FROM generate_series(1, 50) i;
      CREATE TABLE lb (id int PRIMARY KEY, v text, n bigint);
      INSERT INTO lb SELECT i, 'lb' || i, i::bigint * 1000000000 FROM generate_series(1, 1200) i;
      CREATE TABLE big (id int PRIMARY KEY, payload text) WITH (fillfactor = 10);
      INSERT INTO big SELECT i, md5(i::text) || repeat('y', 200) FROM generate_series(1, 30000) i;
      CREATE PUBLICATION tap_postgres FOR TABLE lb, big;
    `);
    const c = files.write('discover.json', db.config);
    discovered = JSON.parse(
      (await runTap(['--config', c, '--discover'])).stdout,
    ) as typeof discovered;
  });
  afterAll(async () => {
    await killLeftoverTaps();
    await db.drop();
  });

  it('FULL_TABLE: the files hold exactly the records a RECORD run sends; every STATE follows the BATCH messages of what it covers', async () => {
    const cat = catalog('ft.json', { 'public-items': { method: 'FULL_TABLE' } });
    const common = { state_interval_seconds: 0, batch_fetch_limit: 300 };
    const plain = await runTap(['--config', config('plain.json', common), '--catalog', cat]);
    expect(plain.code).toBe(0);
    const expected = recordObjects(plain.stdout, 'public-items');
    expect(expected).toHaveLength(2500);

    const root = join(files.dir, 'ft-out');
    const r = await runTap([
      '--config',
      config('batch.json', { ...common, batch_config: gzipBatches(root, { batch_size: 700 }) }),
      '--catalog',
      cat,
    ]);
    expect(r.code).toBe(0);
    const msgs = parseMessages(r.stdout);
    expect(msgs.filter((m) => m.type === 'RECORD')).toEqual([]);
    expect([...new Set(msgs.map((m) => m.type))].sort()).toEqual([
      'ACTIVATE_VERSION',
      'BATCH',
      'SCHEMA',
      'STATE',
    ]);
    const validMessage = validatorFor('messages');
    for (const m of msgs) expect(validMessage(m) ? null : validMessage.errors).toBeNull();
    // The SDK's message shape, one file per message, under root + prefix, a file:// URI.
    for (const b of batches(msgs)) {
      expect(Object.keys(b)).toEqual(['type', 'stream', 'encoding', 'manifest']);
      expect(b.encoding).toEqual({ format: 'jsonl', compression: 'gzip' });
      const [uri, ...more] = b.manifest as string[];
      expect(more).toEqual([]);
      expect(uri).toMatch(
        new RegExp(
          `^file://${root}/run-tap-postgres--public-items-[0-9a-f-]{36}-\\d+\\.json\\.gz$`,
        ),
      );
      expect(fileLines(uri!).length).toBeLessThanOrEqual(700);
    }
    expect(batchedObjects(msgs, 'public-items')).toEqual(expected);
    // No partial file is left, and no file no BATCH message names.
    expect(readdirSync(root).sort()).toEqual(
      batches(msgs)
        .map((b) => (b.manifest as string[])[0]!.split('/').pop()!)
        .sort(),
    );

    // Each STATE's last_pk_fetched: every row up to it is in a file announced before the STATE.
    const announced = new Set<number>();
    let states = 0;
    for (const m of msgs) {
      if (m.type === 'BATCH') {
        for (const l of fileLines((m.manifest as string[])[0]!))
          announced.add((JSON.parse(l) as { id: number }).id);
      }
      if (m.type !== 'STATE') continue;
      states++;
      const bm = m.value!.bookmarks['public-items'];
      const upTo = (bm?.last_pk_fetched as { id?: string | number } | undefined)?.id;
      const covered = upTo === undefined ? (bm && !bm.last_pk_fetched ? 2500 : 0) : Number(upTo);
      for (let id = 1; id <= covered; id++) expect(announced.has(id)).toBe(true);
    }
    expect(states).toBeGreaterThan(5);
    // The ACTIVATE_VERSION that ends the copy comes after its last BATCH.
    const lastAv = msgs.map((m) => m.type).lastIndexOf('ACTIVATE_VERSION');
    expect(msgs.map((m) => m.type).lastIndexOf('BATCH')).toBeLessThan(lastAv);
  });

  it('FULL_TABLE over several connections: the workers record objects go to files cut at batch_size', async () => {
    const cat = catalog('par.json', { 'public-big': { method: 'FULL_TABLE' } });
    // No STATE within the copy (each would end the open file early): every file but the last is full.
    const common = { snapshot_parallelism: 3, state_interval_seconds: 3600 };
    const plain = await runTap(['--config', config('par-plain.json', common), '--catalog', cat]);
    expect(plain.code).toBe(0);
    const expected = recordObjects(plain.stdout, 'public-big').sort();
    expect(expected).toHaveLength(30000);
    const root = join(files.dir, 'par-out');
    const r = await runTap([
      '--config',
      config('par-batch.json', {
        ...common,
        batch_config: gzipBatches(root, { batch_size: 1777 }),
      }),
      '--catalog',
      cat,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/copying in [23] CTID ranges/);
    const msgs = parseMessages(r.stdout);
    expect(msgs.filter((m) => m.type === 'RECORD')).toEqual([]);
    const sizes = batches(msgs).map((b) => fileLines((b.manifest as string[])[0]!).length);
    expect(sizes.slice(0, -1).every((n) => n === 1777)).toBe(true);
    expect(batchedObjects(msgs, 'public-big').sort()).toEqual(expected);
  });

  it('stream maps with two outputs over several connections: each output its own files, all before each STATE', async () => {
    const cat = catalog('par-maps.json', { 'public-big': { method: 'FULL_TABLE' } });
    const common = { snapshot_parallelism: 3, state_interval_seconds: 0 };
    const maps = {
      'public-big': { __alias__: 'big_ids', payload: null },
      big_even: { __source__: 'public-big', __filter__: 'id % 2 == 0', h: 'md5(payload)' },
    };
    const root = join(files.dir, 'par-maps-out');
    const r = await runTap([
      '--config',
      config('par-maps.json', {
        ...common,
        stream_maps: maps,
        batch_config: gzipBatches(root, { batch_size: 4000 }),
      }),
      '--catalog',
      cat,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/copying in [23] CTID ranges/);
    const msgs = parseMessages(r.stdout);
    expect(msgs.filter((m) => m.type === 'RECORD')).toEqual([]);
    const ids = batchedObjects(msgs, 'big_ids').map((l) => JSON.parse(l) as { id: number });
    expect(ids).toHaveLength(30000);
    expect(ids.every((o) => Object.keys(o).join() === 'id')).toBe(true);
    const even = batchedObjects(msgs, 'big_even').map(
      (l) => JSON.parse(l) as { id: number; payload: string; h: string },
    );
    expect(even).toHaveLength(15000);
    expect(even.every((o) => o.id % 2 === 0 && o.h.length === 32 && o.payload.length > 0)).toBe(
      true,
    );
    // The last STATE comes after every BATCH message, and each ACTIVATE_VERSION after its stream's.
    const types = msgs.map((m) => `${m.type}:${m.stream ?? ''}`);
    expect(types.lastIndexOf('STATE:')).toBeGreaterThan(types.lastIndexOf('BATCH:big_ids'));
    expect(types.lastIndexOf('STATE:')).toBeGreaterThan(types.lastIndexOf('BATCH:big_even'));
    for (const s of ['big_ids', 'big_even']) {
      expect(types.lastIndexOf(`ACTIVATE_VERSION:${s}`)).toBeGreaterThan(
        types.lastIndexOf(`BATCH:${s}`),
      );
    }
  });

  it('LOG_BASED first copy over several connections: the same records, with their _sdc columns, in files', async () => {
    const ft = await runTap([
      '--config',
      config('lbpar-plain.json', {}),
      '--catalog',
      catalog('lbpar-ft.json', { 'public-big': { method: 'FULL_TABLE' } }),
    ]);
    const expected = recordObjects(ft.stdout, 'public-big').sort();
    const root = join(files.dir, 'lbpar-out');
    const r = await runTap([
      '--config',
      config('lbpar.json', {
        replication_slot: 'batch_parallel',
        logical_poll_total_seconds: 2,
        snapshot_parallelism: 3,
        batch_config: gzipBatches(root, { batch_size: 4000 }),
      }),
      '--catalog',
      catalog('lbpar.json', { 'public-big': { method: 'LOG_BASED' } }),
    ]);
    expect(r.stderr + r.code).toMatch(/copying in [23] CTID ranges[^]*0$/);
    const msgs = parseMessages(r.stdout);
    expect(msgs.filter((m) => m.type === 'RECORD')).toEqual([]);
    const objects = batchedObjects(msgs, 'public-big');
    for (const o of objects) expect(o).toMatch(/,"_sdc_lsn":\d+,"_sdc_deleted_at":null\}$/);
    expect(
      objects.map((o) => o.replace(/,"_sdc_lsn":\d+,"_sdc_deleted_at":null\}$/, '}')).sort(),
    ).toEqual(expected);
  });

  it('compression none writes plain JSON lines; a prefix with a directory lands under root', async () => {
    const cat = catalog('ft2.json', { 'public-events': { method: 'FULL_TABLE' } });
    const root = join(files.dir, 'plain-out');
    const r = await runTap([
      '--config',
      config('none.json', {
        batch_config: {
          encoding: { format: 'jsonl', compression: 'none' },
          storage: { root, prefix: 'sub dir/ev-' },
          batch_size: 20,
        },
      }),
      '--catalog',
      cat,
    ]);
    expect(r.code).toBe(0);
    const msgs = parseMessages(r.stdout);
    const b = batches(msgs, 'public-events');
    expect(b).toHaveLength(3);
    expect(b[0]!.encoding).toEqual({ format: 'jsonl', compression: 'none' });
    for (const m of b) {
      expect((m.manifest as string[])[0]).toMatch(
        new RegExp(`^file://${root}/sub%20dir/ev-tap-postgres--public-events-.*\\.json$`),
      );
    }
    expect(batchedObjects(msgs, 'public-events').map((l) => JSON.parse(l) as unknown)).toEqual(
      Array.from({ length: 50 }, (_, i) => ({ id: i + 1, v: `e${i + 1}` })),
    );
    expect(statSync(join(root, 'sub dir')).isDirectory()).toBe(true);
  });

  it('--config ENV takes batch_config as JSON in TAP_POSTGRES_BATCH_CONFIG', async () => {
    const cat = catalog('env.json', { 'public-events': { method: 'FULL_TABLE' } });
    const root = join(files.dir, 'env-out');
    const env = {
      TAP_POSTGRES_HOST: db.config.host,
      TAP_POSTGRES_PORT: String(db.config.port),
      TAP_POSTGRES_USER: db.config.user,
      TAP_POSTGRES_PASSWORD: db.config.password,
      TAP_POSTGRES_DBNAME: db.config.dbname,
    };
    const r = await runTap(['--config', 'ENV', '--catalog', cat], {
      ...env,
      TAP_POSTGRES_BATCH_CONFIG: JSON.stringify(gzipBatches(root)),
    });
    expect(r.code).toBe(0);
    expect(batchedObjects(parseMessages(r.stdout), 'public-events')).toHaveLength(50);
    const bad = await runTap(['--config', 'ENV', '--catalog', cat], {
      ...env,
      TAP_POSTGRES_BATCH_CONFIG: '{not json',
    });
    expect([bad.code, bad.stdout]).toEqual([2, '']);
    expect(bad.stderr).toMatch(/TAP_POSTGRES_BATCH_CONFIG is not a JSON object/);
  });

  it('INCREMENTAL stays RECORD', async () => {
    const cat = catalog('inc.json', {
      'public-events': { method: 'INCREMENTAL', replicationKey: 'id' },
    });
    const root = join(files.dir, 'inc-out');
    const r = await runTap([
      '--config',
      config('inc.json', { batch_config: gzipBatches(root) }),
      '--catalog',
      cat,
    ]);
    expect(r.stderr + r.code).toMatch(/0$/);
    const msgs = parseMessages(r.stdout);
    expect(batches(msgs)).toEqual([]);
    expect(msgs.filter((m) => m.type === 'RECORD')).toHaveLength(50);
  });

  it('LOG_BASED: the first copy goes to batch files, the changes after it stay RECORD', async () => {
    const cat = catalog('lb.json', { 'public-lb': { method: 'LOG_BASED' } });
    const lbConfig = (name: string, slot: string, extra: Record<string, unknown>) =>
      config(name, {
        replication_slot: slot,
        logical_poll_total_seconds: 2,
        state_interval_seconds: 0,
        batch_fetch_limit: 100,
        ...extra,
      });
    const withoutLsn = (objects: string[]) => objects.map((o) => o.replace(/,"_sdc_lsn":\d+/, ''));
    const plain = await runTap([
      '--config',
      lbConfig('lbp.json', 'batch_plain', {}),
      '--catalog',
      cat,
    ]);
    expect(plain.code).toBe(0);
    const expected = withoutLsn(recordObjects(plain.stdout, 'public-lb'));
    expect(expected).toHaveLength(1200);

    const root = join(files.dir, 'lb-out');
    const cfg = lbConfig('lbb.json', 'batch_files', {
      batch_config: gzipBatches(root, { batch_size: 500 }),
    });
    const first = await runTap(['--config', cfg, '--catalog', cat]);
    expect(first.code).toBe(0);
    const msgs = parseMessages(first.stdout);
    expect(msgs.filter((m) => m.type === 'RECORD')).toEqual([]);
    expect(batches(msgs, 'public-lb')).toHaveLength(3);
    expect(withoutLsn(batchedObjects(msgs, 'public-lb')).sort()).toEqual([...expected].sort());
    const types = msgs.map((m) => m.type);
    expect(types.lastIndexOf('BATCH')).toBeLessThan(types.indexOf('STATE'));
    expect(types.lastIndexOf('BATCH')).toBeLessThan(types.lastIndexOf('ACTIVATE_VERSION'));

    await db.query(
      `INSERT INTO lb VALUES (5000, 'later', 1); UPDATE lb SET v = 'changed' WHERE id = 1`,
    );
    const state = files.write(
      'lb-state.json',
      [...msgs].reverse().find((m) => m.type === 'STATE')!.value,
    );
    const second = await runTap(['--config', cfg, '--catalog', cat, '--state', state]);
    expect(second.code).toBe(0);
    const after = parseMessages(second.stdout);
    expect(batches(after)).toEqual([]);
    expect(after.filter((m) => m.type === 'RECORD').map((m) => m.record!.id)).toEqual([5000, 1]);
  });

  it('a bad batch_config exits 2 with nothing on stdout', async () => {
    const cat = catalog('bad.json', { 'public-events': { method: 'FULL_TABLE' } });
    const good = gzipBatches(join(files.dir, 'bad-out'));
    const locked = join(files.dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const asRoot = process.getuid?.() === 0;
    const cases: Array<[string, unknown]> = [
      ['s3', { ...good, storage: { root: 's3://bucket/x' } }],
      ['parquet', { ...good, encoding: { format: 'parquet' } }],
      ['zstd', { ...good, encoding: { format: 'jsonl', compression: 'zstd' } }],
      ['unknown key', { ...good, encoding: { format: 'jsonl', level: 9 } }],
      ['no storage', { encoding: good.encoding }],
      ['batch_size 0', { ...good, batch_size: 0 }],
      ['prefix ..', { ...good, storage: { root: files.dir, prefix: '../x-' } }],
      ...(asRoot
        ? []
        : ([['unwritable', { ...good, storage: { root: locked } }]] as Array<[string, unknown]>)),
    ];
    for (const [name, batch] of cases) {
      const r = await runTap([
        '--config',
        config(`bad-${name}.json`, { batch_config: batch }),
        '--catalog',
        cat,
      ]);
      expect([name, r.code, r.stdout]).toEqual([name, 2, '']);
      expect(r.stderr).toMatch(/batch_config/);
    }
    expect(existsSync(join(files.dir, 'bad-out'))).toBe(false);
  });

  it('SIGKILL in the middle: every announced file is complete, and the resumed run loses nothing', async () => {
    const cat = catalog('big.json', { 'public-big': { method: 'FULL_TABLE' } });
    const root = join(files.dir, 'big-out');
    const cfg = config('big.json', {
      state_interval_seconds: 0,
      batch_fetch_limit: 1000,
      batch_config: gzipBatches(root, { batch_size: 1500 }),
    });
    const pkIn = (m: Message) =>
      Number(
        (m.value?.bookmarks['public-big']?.last_pk_fetched as { id?: number } | undefined)?.id ?? 0,
      );
    const run1 = await killWhen(
      ['--config', cfg, '--catalog', cat],
      (m) => m.type === 'STATE' && pkIn(m) >= 10_000,
    );
    expect(run1.stderr + String(run1.killed)).toMatch(/true$/);
    const ids = new Set<number>();
    const take = (msgs: Message[]) => {
      for (const l of batchedObjects(msgs, 'public-big'))
        ids.add((JSON.parse(l) as { id: number }).id);
    };
    take(run1.seen);
    const state = [...run1.seen].reverse().find((m) => m.type === 'STATE')!.value!;
    const resumeAfter = Number(
      (state.bookmarks['public-big']!.last_pk_fetched as { id: number | string }).id,
    );
    expect(resumeAfter).toBeGreaterThan(0);
    for (let id = 1; id <= resumeAfter; id++) expect(ids.has(id)).toBe(true);
    const run2 = await runTap([
      '--config',
      cfg,
      '--catalog',
      cat,
      '--state',
      files.write('big-state.json', state),
    ]);
    expect(run2.code).toBe(0);
    const msgs2 = parseMessages(run2.stdout);
    expect(
      Math.min(
        ...batchedObjects(msgs2, 'public-big').map((l) => (JSON.parse(l) as { id: number }).id),
      ),
    ).toBe(resumeAfter + 1);
    take(msgs2);
    expect(ids.size).toBe(30000);
  });
});
