import { RuntimeError } from '../../errors';
import type { Lsn } from '../../replication/lsn';
import { createSlotExportingSnapshot, currentWalLsn, slotInfo } from '../../replication/slot';
import { bookmarkFor } from '../../state/tap-state';
import type { StreamColumns } from '../stream-columns';
import type { SyncContext } from '../sync-context';
import type { LogStream } from './log-stream';
import { bookmarkLsn, LogOffset } from './offset';
import { assertLogBasedReady } from './readiness';
import { copyStreams } from './snapshot';
import { logBasedSchema } from './stream-shape';
import { streamChanges } from './stream';

export { logBasedSchema } from './stream-shape';

/**
 * LOG_BASED (contract §6) for every LOG_BASED stream of the run, over one replication connection.
 * This module decides, per stream, whether it resumes from its bookmark or is copied; the copy
 * lives in snapshot.ts, the streaming in stream.ts, and every LSN rule in offset.ts.
 *
 * - First run (no slot): the slot is created exporting its snapshot, the tables are copied inside
 *   that snapshot, and streaming starts at the slot's consistent point: no gap, no overlap.
 * - A stream added later (slot exists, no bookmark): its table is copied after noting the current
 *   WAL position, which becomes its bookmark: changes committed during the copy may come twice
 *   (at-least-once), none is lost.
 */
export async function syncLogBased(
  ctx: SyncContext,
  scs: readonly StreamColumns[],
): Promise<number> {
  const config = ctx.config;
  const slotName = config.replicationSlot;
  const useVersion = config.emitActivateVersion;
  await assertLogBasedReady(ctx, scs);
  const existing = await slotInfo(ctx.client, slotName);

  const streams: LogStream[] = [];
  const needCopy: LogStream[] = [];
  const resumed = new Map<string, Lsn>();
  for (const sc of scs) {
    const id = sc.stream.tapStreamId;
    const b = bookmarkFor(ctx.state, id, 'LOG_BASED', null);
    const had = bookmarkLsn(b);
    if (had && !existing) {
      throw new RuntimeError(
        `replication slot '${slotName}' does not exist but the state has an LSN for ${id}: changes since then are lost to the slot. Remove the stream's bookmark from the state to copy the table again`,
      );
    }
    const lsn = existing ? had : null;
    const version = lsn && typeof b.version === 'number' ? b.version : Date.now();
    const out = ctx.writer.beginStream({
      stream: sc.stream.stream,
      schema: logBasedSchema(sc.stream.schema),
      keyProperties: sc.stream.keyProperties,
      bookmarkProperties: [],
      ...(useVersion ? { version } : {}),
    });
    const s: LogStream = { sc, out, version };
    streams.push(s);
    if (lsn) resumed.set(id, lsn);
    else needCopy.push(s);
  }
  const offset = LogOffset.open(
    resumed,
    ctx.incoming,
    existing?.confirmedFlushLsn ?? null,
    await currentWalLsn(ctx.client),
  );
  if (ctx.testMode === 'schema') return 0;

  let count = 0;
  if (needCopy.length > 0) {
    if (!existing) {
      const snap = await createSlotExportingSnapshot(
        config,
        slotName,
        config.logicalDecodingPlugin,
      );
      try {
        offset.slotCreated(snap.consistentPoint);
        count += await copyStreams(ctx, offset, needCopy, snap.snapshotName, snap.consistentPoint);
      } finally {
        await snap.close();
      }
    } else {
      count += await copyStreams(ctx, offset, needCopy, null, await currentWalLsn(ctx.client));
    }
  }
  if (ctx.testMode) return count;
  count += await streamChanges(ctx, streams, offset);
  return count;
}
