import type { ClientBase } from 'pg';

/** The default when the server's timeout is off or long: well under its 60 s default. */
const DEFAULT_MS = 10_000;
const MIN_MS = 200;

/**
 * How often the WalReader reports its position without being asked. While the tap's output is
 * blocked the replication socket is paused and the walsender's keepalive requests go unread, so
 * only these updates keep it from ending the connection after `wal_sender_timeout` (a per-session
 * setting since PostgreSQL 12: role and database settings apply). A third of the timeout leaves
 * room for a busy event loop.
 */
export async function statusIntervalMs(client: ClientBase): Promise<number> {
  const r = await client.query<{ ms: string }>(
    `SELECT setting::bigint * CASE unit WHEN 's' THEN 1000 WHEN 'min' THEN 60000 ELSE 1 END AS ms
       FROM pg_catalog.pg_settings WHERE name = 'wal_sender_timeout'`,
  );
  const timeout = Number(r.rows[0]?.ms ?? 0);
  if (!(timeout > 0)) return DEFAULT_MS;
  return Math.max(MIN_MS, Math.min(DEFAULT_MS, Math.floor(timeout / 3)));
}
