import { qualifiedName, quoteIdent } from '../../db/quote';
import { RuntimeError } from '../../errors';
import type { SlotInfo } from '../../replication/slot';
import type { StreamColumns } from '../stream-columns';
import type { SyncContext } from '../sync-context';

/** Set-up problems, each with the SQL that fixes it, before anything is written. */
export async function assertReplicationReady(
  ctx: SyncContext,
  slot: SlotInfo | null,
): Promise<void> {
  const r = await ctx.client.query<{ wal_level: string; can: string; who: string }>(
    `SELECT current_setting('wal_level') AS wal_level, current_user AS who,
            (SELECT (rolreplication OR rolsuper)::text FROM pg_catalog.pg_roles WHERE rolname = current_user) AS can`,
  );
  const row = r.rows[0]!;
  if (row.wal_level !== 'logical') {
    throw new RuntimeError(
      `wal_level is '${row.wal_level}', LOG_BASED needs 'logical': run \`ALTER SYSTEM SET wal_level = logical;\` and restart PostgreSQL`,
    );
  }
  if (row.can !== 'true') {
    throw new RuntimeError(
      `role '${row.who}' lacks the REPLICATION privilege: run \`ALTER ROLE ${quoteIdent(row.who)} WITH REPLICATION;\``,
    );
  }
  const plugin = ctx.config.logicalDecodingPlugin;
  if (slot && slot.plugin !== plugin) {
    throw new RuntimeError(
      `replication slot '${slot.slotName}' uses the plugin '${slot.plugin}', not '${plugin}': drop it with \`SELECT pg_drop_replication_slot('${slot.slotName}');\` or set replication_slot to another name`,
    );
  }
}

export async function assertPublication(
  ctx: SyncContext,
  scs: readonly StreamColumns[],
): Promise<void> {
  // wal2json has no publications: its slot is filtered by table when streaming starts.
  if (ctx.config.logicalDecodingPlugin !== 'pgoutput') return;
  const pub = ctx.config.publicationName;
  const r = await ctx.client.query<{ schemaname: string; tablename: string }>(
    'SELECT schemaname, tablename FROM pg_catalog.pg_publication_tables WHERE pubname = $1',
    [pub],
  );
  const exists = await ctx.client.query(
    'SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1',
    [pub],
  );
  const covered = new Set(r.rows.map((x) => JSON.stringify([x.schemaname, x.tablename])));
  const missing = scs.filter(
    (sc) => !covered.has(JSON.stringify([sc.stream.schemaName, sc.stream.tableName])),
  );
  if (missing.length === 0) return;
  const tables = missing
    .map((sc) => qualifiedName(sc.stream.schemaName, sc.stream.tableName))
    .join(', ');
  if (ctx.config.createPublication && exists.rowCount === 0) {
    await ctx.client.query(`CREATE PUBLICATION ${quoteIdent(pub)} FOR TABLE ${tables}`);
    return;
  }
  const fix =
    exists.rowCount === 0
      ? `CREATE PUBLICATION ${quoteIdent(pub)} FOR TABLE ${tables};`
      : `ALTER PUBLICATION ${quoteIdent(pub)} ADD TABLE ${tables};`;
  throw new RuntimeError(
    `publication '${pub}' ${exists.rowCount === 0 ? 'does not exist' : 'does not cover the LOG_BASED tables'}: run \`${fix}\` (or set create_publication)`,
  );
}
