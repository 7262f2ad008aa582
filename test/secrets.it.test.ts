import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../src/embedded/embedded-server';
import { clearSecrets } from '../src/log/redact';
import { selectStreams } from './support/catalog-helpers';
import { contractViolations } from './support/output-contract';
import { runTap, spawnTap, tempFiles, type TapRun } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * Secrets: a marker password (and a key) never appears on stdout or stderr: not in logs
 * at any level, not in errors (wrong password, unreachable host, wrong database, a user named like
 * the password), not in `--about` or `--check`, not in stack traces (TAP_POSTGRES_DEBUG) and not
 * in the output of a crash outside the CLI's own error handling.
 */
const MARKER = 'Mk-S3cr3t-9f7e2d';
/** Characters that a URL-encoding (pg's connection strings) would change. */
const URLISH = 'p@ss:w/rd%Mk?#7';
const KEY_MARKER = 'KeyMarkerAAAABBBBCCCC';
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** In-process runs share the redaction module: start each with no secret registered, as a process does. */
function tap(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<TapRun> {
  clearSecrets();
  return runTap(argv, env);
}

function expectNoSecret(r: TapRun) {
  for (const secret of [MARKER, URLISH, encodeURIComponent(URLISH), KEY_MARKER]) {
    expect(r.stdout).not.toContain(secret);
    expect(r.stderr).not.toContain(secret);
  }
}

describe('secrets never reach the output', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let role: Record<string, unknown>;
  let catalog: string;

  beforeAll(async () => {
    db = await createTestDatabase('secrets');
    await db.query(`
      CREATE TABLE public.things (id int PRIMARY KEY, v text);
      INSERT INTO public.things VALUES (1, 'a');
      DROP ROLE IF EXISTS secret_role;
      CREATE ROLE secret_role LOGIN PASSWORD '${MARKER}';
      GRANT SELECT ON public.things TO secret_role;
      DROP ROLE IF EXISTS "${MARKER}";
      CREATE ROLE "${MARKER}" LOGIN PASSWORD 'another-password';
    `);
    role = { ...db.config, user: 'secret_role', password: MARKER };
    const r = await tap(['--config', files.write('ok.json', role), '--discover']);
    expect(r.code).toBe(0);
    catalog = files.write(
      'catalog.json',
      selectStreams(JSON.parse(r.stdout), { 'public-things': { method: 'FULL_TABLE' } }),
    );
  });
  afterAll(async () => {
    await db.query(`DROP OWNED BY secret_role; DROP ROLE secret_role; DROP ROLE "${MARKER}"`);
    await db.drop();
  });

  it.each(LEVELS)('successful discover and sync at log level %s', async (level) => {
    const cfg = files.write(`ok-${level}.json`, role);
    for (const argv of [['--discover'], ['--catalog', catalog]]) {
      const r = await tap(['--config', cfg, ...argv, '--log-level', level]);
      expect(r.code).toBe(0);
      expectNoSecret(r);
    }
  });

  const failures: Array<[string, () => Promise<Record<string, unknown>>, RegExp]> = [
    [
      'a wrong password',
      async () => ({ ...db.config, user: 'secret_role', password: `${MARKER}x` }),
      /password authentication failed/,
    ],
    [
      'a password with URL characters, refused',
      async () => ({ ...db.config, user: 'secret_role', password: URLISH }),
      /password authentication failed/,
    ],
    [
      'a user named like the password',
      async () => ({ ...db.config, user: MARKER, password: MARKER }),
      /password authentication failed for user '\*\*\*'/,
    ],
    [
      'an unreachable host',
      async () => ({ ...role, host: '127.0.0.1', port: await freePort() }),
      /connection refused/,
    ],
    ['a database that does not exist', async () => ({ ...role, dbname: 'nope_db' }), /nope_db/],
    [
      'TLS with a client key the server never sees',
      async () => ({
        ...role,
        sslmode: 'require',
        ssl_key: `-----BEGIN PRIVATE KEY-----\n${KEY_MARKER}\n-----END PRIVATE KEY-----\n`,
      }),
      /CRITICAL/,
    ],
  ];

  it.each(failures)(
    '%s: one CRITICAL line, at every log level, with and without stack traces',
    async (_w, make, message) => {
      const cfg = files.write(`fail-${Math.random()}.json`, await make());
      for (const level of LEVELS) {
        for (const debug of [{}, { TAP_POSTGRES_DEBUG: '1' }]) {
          const r = await tap(['--config', cfg, '--discover', '--log-level', level], debug);
          expect(contractViolations(r, { allowed: [1] }).filter((p) => !/stack/.test(p))).toEqual(
            [],
          );
          expect(r.stderrLines.find((l) => l.startsWith('CRITICAL'))).toMatch(message);
          expectNoSecret(r);
        }
      }
    },
  );

  it('the installed binary: failures and stack traces (TAP_POSTGRES_DEBUG) keep the password out', async () => {
    const wrong = files.write('wrong.json', { ...db.config, user: MARKER, password: MARKER });
    for (const env of [{}, { TAP_POSTGRES_DEBUG: '1' }]) {
      const r = await spawnTap(['--config', wrong, '--discover', '--log-level', 'debug'], env);
      expect(r.code).toBe(1);
      expectNoSecret(r);
    }
  });

  it('--config ENV: TAP_POSTGRES_PASSWORD is as secret as a file', async () => {
    const env = {
      TAP_POSTGRES_HOST: db.config.host,
      TAP_POSTGRES_PORT: String(db.config.port),
      TAP_POSTGRES_DATABASE: db.name,
      TAP_POSTGRES_USERNAME: MARKER,
      TAP_POSTGRES_PASSWORD: MARKER,
      TAP_POSTGRES_DEBUG: '1',
    };
    const r = await tap(['--config', 'ENV', '--discover', '--log-level', 'debug'], env);
    expect(r.code).toBe(1);
    expectNoSecret(r);
  });

  it('--about and --check print no secret', async () => {
    const cfg = files.write('about.json', role);
    for (const argv of [
      ['--about'],
      ['--about', '--format', 'markdown'],
      ['--config', cfg, '--check'],
      ['--config', cfg, '--check', '--catalog', catalog],
    ]) {
      const r = await tap(argv, { TAP_POSTGRES_DEBUG: '1' });
      expectNoSecret(r);
    }
  });

  it('a crash outside the CLI error handling (an uncaught exception) is one redacted line, exit 1', async () => {
    // Loaded before the tap: once the config is read, throws from a timer with the password in it.
    const crasher = join(files.dir, 'crash.js');
    writeFileSync(
      crasher,
      `setTimeout(() => { throw new Error('boom ' + ${JSON.stringify(MARKER)}); }, 1);\n` +
        `setTimeout(() => Promise.reject(new Error('late ' + ${JSON.stringify(MARKER)})), 2);\n`,
    );
    // A slow consumer is not needed: the crash comes within the first milliseconds of discovery.
    const cfg = files.write('crash.json', role);
    for (const env of [{}, { TAP_POSTGRES_DEBUG: '1' }]) {
      const r = await spawnTap(['--config', cfg, '--discover'], {
        NODE_OPTIONS: `--require ${crasher}`,
        ...env,
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderrLines.filter((l) => l.startsWith('CRITICAL'))).toEqual([
        'CRITICAL unexpected error: boom ***',
      ]);
      expectNoSecret(r);
    }
  });
});
