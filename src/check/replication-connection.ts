import { Client } from 'pg';
import type { TapConfig } from '../config/tap-config';
import { clientConfig } from '../db/connect';
import { ok, type Finding } from '../readiness/finding';

/**
 * LOG_BASED opens a second kind of connection (`replication=database`); pg_hba.conf and
 * connection limits can refuse it while accepting ordinary ones.
 */
export async function replicationConnectionFinding(config: TapConfig): Promise<Finding> {
  const client = new Client(clientConfig(config, { replication: 'database' }));
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('IDENTIFY_SYSTEM');
    return ok('a replication connection (replication=database) is accepted');
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return {
      status: 'problem',
      what: `the server refuses a replication connection: ${message}`,
      then: `check pg_hba.conf: a line for database '${config.database}' and this role must allow the connection (logical replication connections match the database, not the 'replication' keyword)`,
    };
  } finally {
    await client.end().catch(() => {});
  }
}
