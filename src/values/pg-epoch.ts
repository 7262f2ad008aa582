/** PostgreSQL's epoch (2000-01-01T00:00:00Z) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000n;

/**
 * A replication protocol timestamp (microseconds since 2000-01-01 UTC, e.g. a Commit's time) as
 * RFC 3339 UTC with microseconds, the same shape src/values gives timestamptz columns.
 */
export function pgEpochMicrosToRfc3339(us: bigint): string {
  const ms = us / 1000n + PG_EPOCH_MS;
  const micros = ((us % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const iso = new Date(Number(ms - (us % 1000n < 0n ? 1n : 0n))).toISOString(); // 2024-01-02T03:04:05.123Z
  return `${iso.slice(0, 19)}.${micros.toString().padStart(6, '0')}+00:00`;
}
