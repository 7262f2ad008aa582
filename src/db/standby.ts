import type { Queryable } from '../discovery/catalog-query';

/** Whether the server is a standby (in recovery): it writes no WAL, heartbeats or failover slots. */
export async function isStandby(client: Queryable): Promise<boolean> {
  const r = await client.query<{ standby: string }>(
    'SELECT pg_catalog.pg_is_in_recovery()::text AS standby',
  );
  return r.rows[0]?.standby === 'true';
}
