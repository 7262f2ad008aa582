import { RuntimeError } from '../errors';
import { slotInfo } from '../replication/slot';
import { assertNoProblem, assertPublication, assertReplicationReady } from './log-based/readiness';
import { handleSlotLoss } from './log-based/slot-loss';
import { logBasedTableFindings } from './log-based/table-readiness';
import type { StreamColumns } from './stream-columns';
import type { SyncContext } from './sync-context';

/**
 * LOG_BASED set-up problems found before any stream of the run is emitted (FULL_TABLE and
 * INCREMENTAL streams run first, so a LOG_BASED failure found later would follow their records):
 * the tables (not UNLOGGED, keys in the WAL), wal_level, the REPLICATION privilege, the slot
 * (another database's, or lost while the state has an LSN) and the publication. The LOG_BASED
 * sync checks the server and the publication again when it starts; the queries are cheap.
 */
export async function assertLogBasedReady(
  ctx: SyncContext,
  streams: readonly StreamColumns[],
): Promise<void> {
  if (streams.length === 0) return;
  // First: an UNLOGGED table or an unkeyable delete is the catalog's problem, whatever the server.
  assertNoProblem(
    await logBasedTableFindings(
      ctx.client,
      streams.map((sc) => sc.stream),
    ),
    ctx.log,
  );
  const slotName = ctx.config.replicationSlot;
  const slot = await slotInfo(ctx.client, slotName);
  if (slot && slot.database !== ctx.config.database) {
    throw new RuntimeError(
      `replication slot '${slotName}' belongs to database '${slot.database}', not '${ctx.config.database}': a logical slot serves one database; set replication_slot to another name (the default is tap_postgres_<database>)`,
    );
  }
  await assertReplicationReady(ctx, slot);
  // A lost slot stops the run here, or (resnapshot_on_slot_loss) clears the bookmarks to copy again.
  handleSlotLoss(ctx, slot, streams);
  await assertPublication(ctx, streams);
}
