import type { DecodingPlugin } from '../config/tap-config';
import type { Queryable } from '../discovery/catalog-query';
import { ok, type Finding } from '../readiness/finding';
import type { SlotInfo } from '../replication/slot';

/**
 * Is the output plugin installed? pgoutput is built in. An output plugin is a shared library, not
 * an extension (pg_available_extensions does not list it), so the only question the server
 * answers is loading it: a temporary slot, dropped at once. Only asked when the role may create
 * slots; creating one waits for running write transactions, hence the timeout.
 */
export async function pluginFinding(
  client: Queryable,
  plugin: DecodingPlugin,
  slot: SlotInfo | null,
  mayCreateSlot: boolean,
): Promise<Finding> {
  if (plugin === 'pgoutput') return ok('output plugin pgoutput is built in');
  if (slot?.plugin === plugin) return ok(`output plugin ${plugin} is installed (the slot uses it)`);
  const unknown: Finding = {
    status: 'unknown',
    what: `cannot tell whether the output plugin ${plugin} is installed without a role that may create replication slots`,
  };
  if (!mayCreateSlot) return unknown;
  const probe = `tap_postgres_check_${process.pid}`;
  try {
    await client.query(`SET statement_timeout = '10s'`);
    await client.query(
      'SELECT pg_catalog.pg_create_logical_replication_slot($1, $2, true) IS NOT NULL',
      [probe, plugin],
    );
    await client.query('SELECT pg_catalog.pg_drop_replication_slot($1)', [probe]);
    return ok(`output plugin ${plugin} is installed`);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    // 58P01 undefined_file: the library is not in the server's lib directory.
    if (err.code === '58P01') {
      return {
        status: 'problem',
        what: `output plugin ${plugin} is not installed on the server`,
        then: `install it for this PostgreSQL version (e.g. Debian: apt install postgresql-<major>-${plugin}; managed services: see their list of supported plugins), or use logical_decoding_plugin pgoutput`,
      };
    }
    return {
      status: 'unknown',
      what: `cannot tell whether the output plugin ${plugin} is installed: ${err.message ?? String(e)}`,
    };
  } finally {
    await client.query('RESET statement_timeout').catch(() => {});
  }
}
