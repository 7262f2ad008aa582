import { blockRanges, type BlockRange } from '../db/ctid-ranges';
import { qualifiedName, selectColumns } from '../db/quote';
import { exportSnapshot } from '../db/shared-snapshot';
import type { StreamOutput } from '../singer/writer';
import type { Bookmark } from '../state/tap-state';
import { copyRangesInParallel, type ParallelCopyResult } from './parallel-copy';
import type { StreamColumns } from './stream-columns';
import { STATE_EVERY_RECORDS, type SyncContext } from './sync-context';

/** Bytes of RECORD lines per chunk a worker hands over. */
const RANGE_CHUNK_BYTES = 256 * 1024;

/** What a table's ranged copy needs beyond the run's config and value policy. */
export type RangedCopy = Omit<
  Parameters<typeof copyRangesInParallel>[0],
  'config' | 'policy' | 'chunkBytes'
>;

/**
 * Copies `ranges` of a table, every connection inside `copy.snapshot` (copyRangesInParallel), for
 * FULL_TABLE and a LOG_BASED first copy alike; says so in the log.
 */
export function copyInRanges(
  ctx: SyncContext,
  tapStreamId: string,
  copy: RangedCopy,
  ranges: readonly BlockRange[],
  onChunk: (lines: Buffer, records: number, release: () => void) => Promise<void>,
): Promise<ParallelCopyResult> {
  ctx.log.info(
    `${tapStreamId}: copying in ${ranges.length} CTID ranges over ${ranges.length} connections (snapshot_parallelism)`,
  );
  return copyRangesInParallel(
    { ...copy, config: ctx.config, policy: ctx.policy, chunkBytes: RANGE_CHUNK_BYTES },
    ranges,
    onChunk,
  );
}

/**
 * The CTID ranges to copy `sc`'s table in, or null when one connection it is: parallelism 1, not
 * a plain table or materialized view, a server before PostgreSQL 14 (no TID range scans: every
 * connection would read the whole table), or too small a table for two ranges.
 */
export async function planParallelCopy(
  ctx: SyncContext,
  sc: StreamColumns,
): Promise<BlockRange[] | null> {
  if (ctx.config.snapshotParallelism < 2 || sc.stream.isView) return null;
  const r = await ctx.client.query<{ relkind: string; blocks: string; version: string }>(
    `SELECT c.relkind::text AS relkind,
            pg_relation_size(c.oid) / current_setting('block_size')::bigint AS blocks,
            current_setting('server_version_num') AS version
       FROM pg_class c WHERE c.oid = to_regclass($1)`,
    [qualifiedName(sc.stream.schemaName, sc.stream.tableName)],
  );
  const row = r.rows[0];
  if (!row || !['r', 'm'].includes(row.relkind) || Number(row.version) < 140000) return null;
  const ranges = blockRanges(Number(row.blocks), ctx.config.snapshotParallelism);
  return ranges.length > 1 ? ranges : null;
}

/**
 * FULL_TABLE over several connections: `ctx.client` exports a snapshot, one worker per range
 * imports it and converts its rows on its own thread; the lines are written here as they come.
 * There is no resume point inside such a copy (rows are not in key order): STATE shows progress
 * without `last_pk_fetched`, and an interrupted run copies the table again.
 */
export async function syncRangesInParallel(
  ctx: SyncContext,
  sc: StreamColumns,
  out: StreamOutput,
  progress: Bookmark,
  ranges: readonly BlockRange[],
): Promise<ParallelCopyResult> {
  const s = sc.stream;
  const snapshot = await exportSnapshot(ctx.client);
  try {
    let count = 0;
    return await copyInRanges(
      ctx,
      s.tapStreamId,
      {
        snapshot,
        selectAll: selectColumns(s.columns, s.schemaName, s.tableName),
        columns: s.columns.map((name, i) => ({ name, type: sc.types[i]! })),
        stream: s.stream,
        version: out.version,
      },
      ranges,
      async (lines, records, release) => {
        out.recordLines(lines, records, release);
        const before = Math.floor(count / STATE_EVERY_RECORDS);
        count += records;
        if (Math.floor(count / STATE_EVERY_RECORDS) > before)
          ctx.checkpoint(s.tapStreamId, progress);
        if (ctx.writer.full) await ctx.writer.flush();
      },
    );
  } finally {
    await ctx.client.query('COMMIT').catch(() => {});
  }
}
