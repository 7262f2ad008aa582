import type { ClientBase } from 'pg';

/**
 * Pinned on every connection, query and replication alike (the walsender honours startup options),
 * so PostgreSQL's text output is the same everywhere and value conversion sees one format:
 * UTC instants, ISO dates, ISO 8601 intervals, shortest-exact floats, hex bytea.
 */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  TimeZone: 'UTC',
  DateStyle: 'ISO',
  IntervalStyle: 'iso_8601',
  extra_float_digits: '3',
  bytea_output: 'hex',
  client_encoding: 'UTF8',
});

/**
 * Timeouts a role or database often sets for interactive users (`ALTER ROLE … SET`) and that
 * would kill a healthy run: a COPY waits as long as the target takes to accept the records
 * (statement_timeout cancels it), and a snapshot transaction sits idle while the records are
 * written (idle_in_transaction_session_timeout ends the session). Both exist on every
 * supported server, so they go in the startup options. lock_timeout stays as configured: the tap
 * takes only ACCESS SHARE locks, and a reader stuck behind an ALTER TABLE should give up the way
 * the administrator asked.
 */
export const TIMEOUT_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  statement_timeout: '0',
  idle_in_transaction_session_timeout: '0',
});

/**
 * The tap's statements are plain scans, key-ordered batches and one catalog query over many
 * tables: JIT compiles each of them for tens to hundreds of milliseconds (measured: the catalog
 * query of 5,000 tables crossed jit_above_cost and took about 3 s instead of about 1.3 s) and never
 * earns it back on work that is mostly I/O and output functions. (`jit` exists since PostgreSQL 11,
 * older than any release still supported.)
 */
export const PLANNER_SETTINGS: Readonly<Record<string, string>> = Object.freeze({ jit: 'off' });

/** The libpq `options` startup parameter carrying the settings above. */
export function sessionOptions(): string {
  return Object.entries({ ...SESSION_SETTINGS, ...TIMEOUT_SETTINGS, ...PLANNER_SETTINGS })
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
}

/**
 * idle_session_timeout (PostgreSQL 14+) ends a session idle outside a transaction: the query
 * connection between FULL_TABLE batches while a slow target catches up, or all through LOG_BASED
 * streaming. It cannot go in the startup options, as PostgreSQL 12 and 13 refuse a connection
 * that names a parameter they do not know; the version check runs before set_config is reached.
 */
export async function disableIdleSessionTimeout(client: ClientBase): Promise<void> {
  await client.query(
    `SELECT pg_catalog.set_config('idle_session_timeout', '0', false)
      WHERE pg_catalog.current_setting('server_version_num')::int >= 140000`,
  );
}
