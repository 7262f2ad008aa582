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

/** What a table's ranged copy needs beyond the run's config, value policy and stream output. */
export type RangedCopy = Omit<
  Parameters<typeof copyRangesInParallel>[0],
  'config' | 'policy' | 'chunkBytes' | 'stream' | 'version' | 'recordOnly' | 'mapping'
>;

/**
 * Copies `ranges` of a table, every connection inside `copy.snapshot` (copyRangesInParallel), for
 * FULL_TABLE and a LOG_BASED first copy alike, into `out` (whose maps the workers apply when it
 * lets them); says so in the log. `onChunk` follows each chunk's records.
 */
export function copyInRanges(
  ctx: SyncContext,
  tapStreamId: string,
  copy: RangedCopy,
  ranges: readonly BlockRange[],
  out: StreamOutput,
  onChunk: (records: number) => Promise<void>,
): Promise<ParallelCopyResult> {
  const mapping = out.threadMapping;
  ctx.log.info(
    `${tapStreamId}: copying in ${ranges.length} CTID ranges over ${ranges.length} connections (snapshot_parallelism)${mapping ? ', each applying the stream maps' : ''}`,
  );
  return copyRangesInParallel(
    {
      ...copy,
      stream: out.stream,
      version: out.version,
      recordOnly: out.batching,
      ...(mapping ? { mapping } : {}),
      config: ctx.config,
      policy: ctx.policy,
      chunkBytes: RANGE_CHUNK_BYTES,
    },
    ranges,
    async (lines, records, release) => {
      out.recordLines(lines, records, release, mapping !== undefined);
      await onChunk(records);
    },
  );
}

/** What planning a table's ranged copy reads of it. */
interface TableSize {
  readonly relkind: string;
  readonly blocks: number;
  readonly version: number;
}

/** The ranges `t` splits into, or null when one connection it is. */
function rangesOf(t: TableSize | undefined, parallelism: number): BlockRange[] | null {
  if (!t || !['r', 'm'].includes(t.relkind) || t.version < 140000) return null;
  const ranges = blockRanges(t.blocks, parallelism);
  return ranges.length > 1 ? ranges : null;
}

async function measure(
  ctx: SyncContext,
  streams: readonly StreamColumns[],
): Promise<Map<string, TableSize>> {
  const r = await ctx.client.query<{ i: string; relkind: string; blocks: string; version: string }>(
    `SELECT t.i::text AS i, c.relkind::text AS relkind,
            pg_relation_size(c.oid) / current_setting('block_size')::bigint AS blocks,
            current_setting('server_version_num') AS version
       FROM unnest($1::text[]) WITH ORDINALITY AS t(name, i)
       JOIN pg_class c ON c.oid = to_regclass(t.name)`,
    [streams.map((sc) => qualifiedName(sc.stream.schemaName, sc.stream.tableName))],
  );
  const sizes = new Map<string, TableSize>();
  for (const row of r.rows) {
    sizes.set(streams[Number(row.i) - 1]!.stream.tapStreamId, {
      relkind: row.relkind,
      blocks: Number(row.blocks),
      version: Number(row.version),
    });
  }
  return sizes;
}

/**
 * Measures every stream that may be copied in ranges in one query, before the first is copied, so
 * that a run of many tables does not pay a round trip per table for it (planParallelCopy).
 */
export async function measureForParallelCopy(
  ctx: SyncContext,
  streams: readonly StreamColumns[],
): Promise<void> {
  // INCREMENTAL reads in key order, never in ranges.
  const candidates = streams.filter(
    (sc) => !sc.stream.isView && sc.stream.method !== 'INCREMENTAL',
  );
  if (ctx.config.snapshotParallelism < 2 || candidates.length === 0) return;
  ctx.sizesAtStart = await measure(ctx, candidates);
}

/**
 * The CTID ranges to copy `sc`'s table in, or null when one connection it is: parallelism 1, not
 * a plain table or materialized view, a server before PostgreSQL 14 (no TID range scans: every
 * connection would read the whole table), or too small a table for two ranges. A table too small
 * when the run started (measureForParallelCopy) is not measured again: one that grew past two
 * ranges since is copied by one connection, which only costs speed.
 */
export async function planParallelCopy(
  ctx: SyncContext,
  sc: StreamColumns,
): Promise<BlockRange[] | null> {
  const p = ctx.config.snapshotParallelism;
  if (p < 2 || sc.stream.isView) return null;
  const atStart = ctx.sizesAtStart?.get(sc.stream.tapStreamId);
  if (atStart && !rangesOf(atStart, p)) return null;
  // Split by its size now: a large table is measured again, as it may have grown meanwhile.
  return rangesOf((await measure(ctx, [sc])).get(sc.stream.tapStreamId), p);
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
      },
      ranges,
      out,
      async (records) => {
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
