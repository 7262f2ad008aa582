import { RuntimeError } from '../../errors';
import { compareLsn, formatLsn, lsnFromStateInt, minLsn, type Lsn } from '../../replication/lsn';
import type { SlotInfo } from '../../replication/slot';
import { bookmarkFor } from '../../state/tap-state';
import type { StreamColumns } from '../stream-columns';
import type { SyncContext } from '../sync-context';

const stateLsn = (ctx: SyncContext, streamId: string, state = ctx.state): Lsn | null => {
  const b = bookmarkFor(state, streamId, 'LOG_BASED', null);
  return typeof b.lsn === 'number' && b.lsn > 0 ? lsnFromStateInt(b.lsn) : null;
};

/**
 * The slot must still hold every change after each stream's bookmark: gone (dropped, or a new
 * slot of the same name) or confirmed past the bookmark by someone else (`pg_replication_slot_advance`,
 * another consumer), the changes in between are lost for good. Either is an error that says how to
 * copy the tables again, or with `resnapshot_on_slot_loss` the affected streams' bookmarks are
 * cleared here, so the run copies them again under a new version (ACTIVATE_VERSION drops what the
 * lost changes would have removed).
 */
export function handleSlotLoss(
  ctx: SyncContext,
  slot: SlotInfo | null,
  scs: readonly StreamColumns[],
): void {
  const slotName = ctx.config.replicationSlot;
  const lost: Array<{ id: string; why: string }> = [];
  for (const sc of scs) {
    const id = sc.stream.tapStreamId;
    const at = stateLsn(ctx, id);
    if (!at) continue;
    if (!slot) {
      lost.push({
        id,
        why: `replication slot '${slotName}' does not exist but the state has an LSN`,
      });
    } else if (slot.confirmedFlushLsn && compareLsn(slot.confirmedFlushLsn, at) > 0) {
      lost.push({
        id,
        why: `replication slot '${slotName}' was confirmed to ${formatLsn(slot.confirmedFlushLsn)}, past the state's LSN ${formatLsn(at)} for ${id} (advanced or consumed by someone else)`,
      });
    }
  }
  if (lost.length === 0) return;
  const ids = lost.map((l) => l.id).join(', ');
  if (!ctx.config.resnapshotOnSlotLoss) {
    throw new RuntimeError(
      `${lost[0]!.why}: changes for ${ids} since the state's LSN are lost. To copy the tables again, set 'resnapshot_on_slot_loss': true, or remove the bookmarks of ${ids} from the state`,
    );
  }
  ctx.log.warn(
    `${lost[0]!.why}: copying ${ids} again under a new version (resnapshot_on_slot_loss)`,
  );
  for (const { id } of lost) ctx.setBookmark(id, { last_replication_method: 'LOG_BASED' });
}

/**
 * How far the slot may be confirmed for a stream: the LSN of the state the run started with (what
 * the target committed), never what this run printed, which after a reconnect within the run is
 * further. Null when the incoming state covers nothing of the stream.
 */
export function ackableLsn(ctx: SyncContext, streamId: string, current: Lsn | null): Lsn | null {
  const committed = stateLsn(ctx, streamId, ctx.incoming);
  if (!committed || !current) return null;
  return minLsn(committed, current);
}
