import { Client } from 'pg';
import { clientConfig } from '../../db/connect';
import { exportSnapshot } from '../../db/shared-snapshot';
import { copyRowBytes } from '../../db/copy-reader';
import { selectColumns } from '../../db/quote';
import type { Lsn } from '../../replication/lsn';
import { beginInSnapshot } from '../../replication/slot';
import { copyInRanges, planParallelCopy } from '../full-table-parallel';
import { recordEncoder } from '../record-encoder';
import type { SyncContext } from '../sync-context';
import { waitForCopyPoint, type CopyPoint } from './copy-point';
import { saveBookmark, type LogStream } from './log-stream';
import type { LogOffset } from './offset';

/** The new slot's exported snapshot and consistent point. */
export interface SlotSnapshot {
  readonly snapshotName: string;
  readonly at: Lsn;
}

/**
 * Copies tables inside the slot's snapshot (or, for a table added later, a fresh one taken after
 * `CopyPoint`'s transactions are done: copy-point.ts), each through `COPY` and the byte-level
 * encoder as FULL_TABLE does, or, for a large table with `snapshot_parallelism` > 1, in CTID ranges
 * over several connections importing that snapshot.
 */
export async function copyStreams(
  ctx: SyncContext,
  offset: LogOffset,
  streams: readonly LogStream[],
  from: SlotSnapshot | CopyPoint,
): Promise<number> {
  const reader = new Client(clientConfig(ctx.config));
  reader.on('error', () => {});
  await reader.connect();
  let count = 0;
  const at = from.at;
  try {
    let snapshot: string;
    if ('snapshotName' in from) {
      snapshot = from.snapshotName;
      await beginInSnapshot(reader, snapshot);
    } else {
      await waitForCopyPoint(
        from,
        `copying ${streams.map((s) => s.sc.stream.tapStreamId).join(', ')}`,
        {
          client: ctx.client,
          log: ctx.log,
          timing: ctx.slotWait,
          stop: () => ctx.throwIfInterrupted(), // SIGTERM: no bookmark yet, copied next run
        },
      );
      snapshot = await exportSnapshot(reader);
    }
    for (const s of streams) {
      const st = s.sc.stream;
      // The copy's records may go to batch files; the changes that follow never do.
      const out = s.out.batched();
      // A column dropped since discovery stays in the schema but is not read.
      const present = st.columns.flatMap((c, i) =>
        s.sc.absent.includes(c) ? [] : [{ name: c, type: s.sc.types[i]! }],
      );
      const tail = `,"_sdc_lsn":${at.toString()},"_sdc_deleted_at":null`;
      const sql = selectColumns(
        present.map((p) => p.name),
        st.schemaName,
        st.tableName,
      );
      const ranges = ctx.testMode ? null : await planParallelCopy(ctx, s.sc);
      let unrepresentable: ReadonlyMap<string, number>;
      if (ranges) {
        const r = await copyInRanges(
          ctx,
          st.tapStreamId,
          {
            snapshot,
            selectAll: sql,
            columns: present,
            bodyTail: tail,
          },
          ranges,
          out,
          async () => {
            if (ctx.writer.full) await ctx.writer.flush();
          },
        );
        count += r.records;
        unrepresentable = r.unrepresentable;
      } else {
        const encoder = recordEncoder(
          present.map((p) => p.name),
          present.map((p) => p.type),
          ctx.policy,
          'copy',
        );
        const body = encoder.bytes;
        const tailBytes = Buffer.from(tail);
        out.setExtractedAt(new Date());
        const r = await copyRowBytes(
          reader,
          ctx.testMode ? `${sql} LIMIT 1` : sql,
          present.length,
          (src, fields) => out.recordFromBytes(body, src, fields, tailBytes),
          async () => {
            if (ctx.writer.full) await ctx.writer.flush();
            out.setExtractedAt(new Date());
            ctx.throwIfInterrupted(); // SIGTERM: no bookmark yet, the next run copies it again
          },
        );
        count += r.rows;
        unrepresentable = encoder.unrepresentable;
      }
      ctx.reportUnrepresentable(st.tapStreamId, unrepresentable);
      out.endBatch();
      if (ctx.testMode) continue;
      offset.copied(st.tapStreamId, at);
      if (ctx.config.emitActivateVersion) ctx.writer.activateVersion(st.stream, s.version);
      saveBookmark(ctx, offset, s);
      ctx.emitState();
      await ctx.writer.flush(true);
    }
    await reader.query('COMMIT');
  } finally {
    await reader.end().catch(() => {});
  }
  return count;
}
