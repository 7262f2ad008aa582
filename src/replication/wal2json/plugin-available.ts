import type { Queryable } from '../../discovery/catalog-query';
import { ok, type Finding } from '../../readiness/finding';

/**
 * Whether the server has the wal2json output plugin, checked by a sync before it creates the slot
 * or writes anything. `LOAD` finds the library the way slot creation would, without the probe
 * slot `--check` creates (which waits for running write transactions); a role that may not LOAD
 * it (only superusers load from outside `$libdir/plugins`) cannot tell, and slot creation reports
 * a missing plugin later.
 */
export async function wal2jsonFinding(client: Queryable): Promise<Finding> {
  try {
    await client.query(`LOAD 'wal2json'`);
    return ok('the server has the wal2json output plugin');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== '58P01') {
      return {
        status: 'unknown',
        what: 'cannot tell whether the output plugin wal2json is installed (only a superuser may LOAD it)',
      };
    }
    const v = await client.query<{ v: string }>(
      `SELECT current_setting('server_version_num') AS v`,
    );
    const major = Math.floor(Number(v.rows[0]?.v ?? 0) / 10000);
    return {
      status: 'problem',
      what: 'output plugin wal2json is not installed on the server',
      verb: 'install it, on Debian/Ubuntu with',
      fix: `apt-get install postgresql-${major}-wal2json`,
      then: '(RDS, Aurora, Cloud SQL and Azure include it), or set logical_decoding_plugin to pgoutput',
    };
  }
}
