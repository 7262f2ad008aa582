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

/** The libpq `options` startup parameter carrying SESSION_SETTINGS. */
export function sessionOptions(): string {
  return Object.entries(SESSION_SETTINGS)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
}
