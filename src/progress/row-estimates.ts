import type { ClientBase } from 'pg';
import type { SelectedStream } from '../catalog/stream-selection';

/**
 * The planner's row count of each stream's table (pg_class.reltuples; a partitioned table sums its
 * partitions), for an ETA. null when unknown (never analysed: -1, or a view). Progress only: a
 * failure here yields no estimates rather than failing the sync.
 */
export async function estimateRows(
  client: ClientBase,
  streams: readonly SelectedStream[],
): Promise<Map<string, number | null>> {
  const estimates = new Map<string, number | null>(streams.map((s) => [s.stream, null]));
  if (streams.length === 0) return estimates;
  try {
    const { rows } = await client.query<{ nspname: string; relname: string; estimate: string }>(
      `SELECT n.nspname, c.relname,
              (CASE WHEN c.relkind = 'p' THEN
                 (SELECT sum(greatest(ch.reltuples, 0)) FROM pg_inherits i
                    JOIN pg_class ch ON ch.oid = i.inhrelid WHERE i.inhparent = c.oid)
               WHEN c.relkind IN ('r', 'm') THEN c.reltuples END)::text AS estimate
         FROM unnest($1::text[], $2::text[]) AS t(nspname, relname)
         JOIN pg_namespace n ON n.nspname = t.nspname
         JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.relname`,
      [streams.map((s) => s.schemaName), streams.map((s) => s.tableName)],
    );
    // By name, not a scan of the streams per row: a run may select thousands of tables.
    const byTable = new Map<string, SelectedStream>();
    for (const s of streams) {
      const key = JSON.stringify([s.schemaName, s.tableName]);
      if (!byTable.has(key)) byTable.set(key, s);
    }
    for (const r of rows) {
      const s = byTable.get(JSON.stringify([r.nspname, r.relname]));
      const n = r.estimate === null ? NaN : Number(r.estimate);
      if (s && Number.isFinite(n) && n >= 0) estimates.set(s.stream, n);
    }
  } catch {
    // no ETA then
  }
  return estimates;
}
