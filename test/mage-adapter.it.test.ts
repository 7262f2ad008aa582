import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { parseMessages, records, selectStreams, type Message } from './support/catalog-helpers';
import { describeNeeding } from './support/requirements';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

const ADAPTER = join(__dirname, '..', 'integrations', 'mage', 'tap_postgres_mage', '__init__.py');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the adapter as Mage does: `python3 <module>/__init__.py <flags>`; the tap is found in bin/. */
function mage(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [ADAPTER, ...args], {
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

describeNeeding('python3')('the Mage adapter (integrations/mage)', () => {
  let db: TestDatabase;
  /** Mage's own config keys: username, database, schema. */
  let mageConfig: Record<string, unknown>;
  let catalog: {
    streams: Array<{
      tap_stream_id: string;
      metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
    }>;
  };
  beforeAll(async () => {
    db = await createTestDatabase('mage');
    await db.query(`
      CREATE SCHEMA app;
      CREATE TABLE app.users (id int PRIMARY KEY, name text, updated_at timestamptz NOT NULL);
      INSERT INTO app.users SELECT i, 'user ' || i, '2024-01-01'::timestamptz + i * interval '1 day'
        FROM generate_series(1, 5) i;
      CREATE TABLE app.orders (id int PRIMARY KEY, total numeric(12,2));
      INSERT INTO app.orders VALUES (1, 9.99), (2, 19.99);
      CREATE TABLE public.other (id int PRIMARY KEY);`);
    const { host, port, user, password, dbname } = db.config;
    mageConfig = { host, port, username: user, password, database: dbname, schema: 'app' };
    const r = await mage(['--config_json', JSON.stringify(mageConfig), '--discover']);
    expect(r.code).toBe(0);
    catalog = JSON.parse(r.stdout);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('--discover prints only the catalog, of the schema Mage names', () => {
    expect(catalog.streams.map((s) => s.tap_stream_id).sort()).toEqual(['app-orders', 'app-users']);
  });

  it('--discover with --selected_streams_json discovers only those streams', async () => {
    const r = await mage([
      '--config_json',
      JSON.stringify(mageConfig),
      '--discover',
      '--selected_streams_json',
      '["app-users"]',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).streams.map((s: Message) => s.tap_stream_id)).toEqual([
      'app-users',
    ]);
  });

  it('--discover --discover_streams prints the stream names only', async () => {
    const config = tempFiles().write('config.json', mageConfig);
    const r = await mage(['--config', config, '--discover', '--discover_streams']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(
      expect.arrayContaining([{ stream: 'app-users', tap_stream_id: 'app-users' }]),
    );
    expect(JSON.parse(r.stdout)).toHaveLength(2);
  });

  it('--test_connection connects, prints nothing on stdout, and passes a failure through', async () => {
    const ok = await mage(['--config_json', JSON.stringify(mageConfig), '--test_connection']);
    expect(ok).toMatchObject({ code: 0, stdout: '' });
    const badConfig = { ...mageConfig, password: 'wrong-password' };
    const bad = await mage(['--config_json', JSON.stringify(badConfig), '--test_connection']);
    const direct = await runTap(['--config', tempFiles().write('c.json', badConfig), '--discover']);
    expect(direct.code).not.toBe(0);
    expect(bad.code).toBe(direct.code);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^CRITICAL /m);
    expect(bad.stderr).not.toContain('wrong-password');
  });

  it('syncs the streams --selected_streams_json names from --catalog_json', async () => {
    const withMethods = selectStreams(catalog, {
      'app-users': { method: 'INCREMENTAL', replicationKey: 'updated_at' },
      'app-orders': { method: 'FULL_TABLE' },
    });
    const r = await mage([
      '--config_json',
      JSON.stringify(mageConfig),
      '--catalog_json',
      JSON.stringify(withMethods),
      '--selected_streams_json',
      '["app-users"]',
      '--query_json',
      '{"_execution_date":"2024-01-01"}',
    ]);
    expect(r.code).toBe(0);
    const msgs = parseMessages(r.stdout);
    expect(records(msgs, 'app-users')).toHaveLength(5);
    expect(records(msgs, 'app-orders')).toHaveLength(0);
    expect(r.stderr).toContain('query parameters are not used');
  });

  it("resumes from --state_json, in Mage's wrapped form too", async () => {
    const users = JSON.stringify(
      selectStreams(catalog, {
        'app-users': { method: 'INCREMENTAL', replicationKey: 'updated_at' },
      }),
    );
    const first = await mage([
      '--config_json',
      JSON.stringify(mageConfig),
      '--catalog_json',
      users,
    ]);
    const state = [...parseMessages(first.stdout)].reverse().find((m) => m.type === 'STATE')!.value;
    await db.query(
      `INSERT INTO app.users VALUES (6, 'user 6', '2030-01-01'), (7, 'user 7', '2030-01-02')`,
    );
    // What Mage hands back: the destination's last state line, wrapped in {"bookmarks": …}.
    for (const form of [state, { bookmarks: state }]) {
      const r = await mage([
        '--config_json',
        JSON.stringify(mageConfig),
        '--catalog_json',
        users,
        '--state_json',
        JSON.stringify(form),
      ]);
      expect(r.code).toBe(0);
      // >= bookmark: the last row again, then the two new ones
      expect(records(parseMessages(r.stdout), 'app-users').map((u) => u.id)).toEqual([5, 6, 7]);
    }
    const statePath = tempFiles().write('state.json', { bookmarks: state });
    const fromFile = await mage([
      '--config_json',
      JSON.stringify(mageConfig),
      '--catalog_json',
      users,
      '--state',
      statePath,
    ]);
    expect(records(parseMessages(fromFile.stdout), 'app-users')).toHaveLength(3);
    await db.query(`DELETE FROM app.users WHERE id > 5`);
  });

  it('--log_to_stdout puts JSON log lines on stdout beside the messages, every line whole', async () => {
    const r = await mage([
      '--config_json',
      JSON.stringify(mageConfig),
      '--catalog_json',
      JSON.stringify(selectStreams(catalog, { 'app-orders': { method: 'FULL_TABLE' } })),
      '--log_to_stdout',
      'true',
    ]);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Message);
    expect(records(lines, 'app-orders')).toHaveLength(2);
    expect(lines.some((l) => l.level === 'info' && String(l.message).startsWith('METRIC: '))).toBe(
      true,
    );
    expect(r.stderr).toBe('');
  });

  it("passes the tap's exit code through: bad config is 2, as the tap says", async () => {
    const bad = { ...mageConfig, port: 'not-a-port' };
    const r = await mage(['--config_json', JSON.stringify(bad), '--discover']);
    const direct = await runTap(['--config', tempFiles().write('c.json', bad), '--discover']);
    expect(direct.code).toBe(2);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const missingTable = selectStreams(catalog, { 'app-orders': { method: 'FULL_TABLE' } });
    await db.query('ALTER TABLE app.orders RENAME TO orders_gone');
    try {
      const sync = await mage([
        '--config_json',
        JSON.stringify(mageConfig),
        '--catalog_json',
        JSON.stringify(missingTable),
      ]);
      const syncDirect = await runTap([
        '--config',
        tempFiles().write('c.json', mageConfig),
        '--catalog',
        tempFiles().write('k.json', missingTable),
      ]);
      expect(syncDirect.code).not.toBe(0);
      expect(sync.code).toBe(syncDirect.code);
    } finally {
      await db.query('ALTER TABLE app.orders_gone RENAME TO orders');
    }
  });

  it('rejects input that is not JSON with a one-line error and exit 2', async () => {
    const r = await mage(['--config_json', '{not json', '--discover']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^CRITICAL --config_json is not valid JSON/),
    ]);
  });
});
