import { randomBytes } from 'node:crypto';
import { Client, type QueryResultRow } from 'pg';

/** A fresh database on the run's server, for one test file. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A tap config (docs/configuration.md) that reaches this database. */
  readonly config: {
    host: string;
    port: number;
    user: string;
    password: string;
    dbname: string;
  };
  /** Runs SQL on a connection kept for the file (session settings persist between calls). */
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Drops the database, its replication slots and connections. */
  drop(): Promise<void>;
}

export function adminUrl(): string {
  const url = process.env.TAP_POSTGRES_TEST_ADMIN_URL;
  if (!url) throw new Error('TAP_POSTGRES_TEST_ADMIN_URL is not set: run the tests through jest');
  return url;
}

async function withAdmin<T>(admin: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: admin });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** `admin`: another server's superuser URL (e.g. the wal2json server's); the run's server by default. */
export async function createTestDatabase(prefix = 't', admin = adminUrl()): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`.toLowerCase();
  await withAdmin(admin, (c) => c.query(`CREATE DATABASE "${name}"`));
  const u = new URL(admin);
  u.pathname = `/${name}`;
  const url = u.toString();
  const client = new Client({ connectionString: url });
  // A server restarted by a fault test ends this session; its queries then fail, not the process.
  client.on('error', () => {});
  await client.connect();
  return {
    name,
    url,
    config: {
      host: u.hostname,
      port: Number(u.port || 5432),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      dbname: name,
    },
    async query<R extends QueryResultRow>(sql: string, params?: unknown[]) {
      return (await client.query<R>(sql, params)).rows;
    },
    async drop() {
      await client.end();
      await withAdmin(admin, async (c) => {
        await c.query(
          `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
            WHERE database = $1 AND NOT active`,
          [name],
        );
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
    },
  };
}
