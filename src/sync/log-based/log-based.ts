import { RuntimeError } from '../../errors';
import type { Lsn } from '../../replication/lsn';
import {
  createSlotExportingSnapshot,
  currentWalLsn,
  enableSlotFailover,
  slotInfo,
} from '../../replication/slot';
import { serverTimeline } from '../../replication/timeline';
import { isStandby } from '../../db/standby';
import { watchSlotCreation } from '../../replication/slot-creation-wait';
import { bookmarkFor, type Bookmark } from '../../state/tap-state';
import { resolveStreamColumns, type StreamColumns } from '../stream-columns';
import type { SyncContext } from '../sync-context';
import { saveBookmark, streamFacts, streamId, type LogStream } from './log-stream';
import { bookmarkLsn, LogOffset } from './offset';
import { assertLogBasedReady } from './readiness';
import { copyPoint } from './copy-point';
import { copyStreams } from './snapshot';
import { logBasedSchema } from './stream-shape';
import { streamChanges } from './stream';
import { identityChange, identityKey, tableIdentities, type TableIdentity } from './table-identity';

export { logBasedSchema };

/** What a stream does this run: continue from its bookmark, or copy its table (again). */
type Plan = { readonly resume: Lsn } | { readonly copy: string | null };

/**
 * Why a stream cannot continue from its bookmark (`copy`, with the reason when it had one), or
 * the position it continues from.
 */
function planStream(
  b: Bookmark,
  slotExists: boolean,
  live: TableIdentity | undefined,
  sc: StreamColumns,
): Plan {
  const lsn = bookmarkLsn(b);
  if (!lsn) return { copy: null };
  // pipelinewise and singer-io write the LSN when their first copy starts and keep `xmin` until
  // it ends: both set means the copy was interrupted, and the target holds part of the table.
  if (b.xmin !== null && b.xmin !== undefined) {
    return {
      copy: `the state says the first copy of the table did not finish (an lsn with xmin ${String(b.xmin)})`,
    };
  }
  if (!slotExists) return { copy: null }; // only with resnapshot_on_slot_loss (readiness.ts)
  const changed = identityChange(b, live, streamFacts(sc));
  return changed ? { copy: changed } : { resume: lsn };
}

/**
 * LOG_BASED for every LOG_BASED stream of the run, over one replication connection.
 * This module decides, per stream, whether it resumes from its bookmark or its table is copied;
 * the copy is in snapshot.ts, the streaming in stream.ts, and every LSN rule in offset.ts.
 *
 * - First run (no slot): the slot is created exporting its snapshot, the tables are copied inside
 *   that snapshot, and streaming starts at the slot's consistent point: no gap, no overlap.
 * - A stream added later, or whose table is not the one its bookmark was taken from (created
 *   again, partitions changed, a column's type changed, an unfinished copy by another tap): its
 *   table is copied after noting the current WAL position, which becomes its bookmark, and once
 *   every transaction open then has ended (copy-point.ts), under a new version: changes committed
 *   during the copy may come twice (at-least-once), none is lost.
 * - A stream whose table changes mid-run in a way its changes cannot carry is copied again after
 *   the stream ends, the same way.
 */
export async function syncLogBased(
  ctx: SyncContext,
  scs: readonly StreamColumns[],
): Promise<number> {
  const config = ctx.config;
  const slotName = config.replicationSlot;
  await assertLogBasedReady(ctx, scs);
  const existing = await slotInfo(ctx.client, slotName);
  // Read before the end position of the run: anything that happens to a table after this is
  // seen by the next run.
  const identities = await tableIdentities(
    ctx.client,
    scs.map((sc) => sc.stream),
  );

  const streams: LogStream[] = [];
  const needCopy: LogStream[] = [];
  const resumed = new Map<string, Lsn>();
  for (const sc of scs) {
    const id = sc.stream.tapStreamId;
    const b = bookmarkFor(ctx.state, id, 'LOG_BASED', null);
    const identity = identities.get(identityKey(sc.stream.schemaName, sc.stream.tableName));
    const plan = planStream(b, !!existing, identity, sc);
    if ('copy' in plan && plan.copy) {
      ctx.log.warn(`${id}: ${plan.copy}: the table is copied again under a new version`);
    }
    const version = 'resume' in plan && typeof b.version === 'number' ? b.version : newVersion(b);
    const s = openStream(ctx, sc, version, identity);
    streams.push(s);
    if ('resume' in plan) resumed.set(id, plan.resume);
    else needCopy.push(s);
  }
  if (resumed.size > 0 && !existing) {
    throw new RuntimeError(`replication slot '${slotName}' does not exist`);
  }
  const offset = LogOffset.open(
    resumed,
    ctx.incoming,
    existing?.confirmedFlushLsn ?? null,
    await currentWalLsn(ctx.client),
  );
  offset.timeline = await serverTimeline(ctx.client);
  if (ctx.testMode === 'schema') return 0;
  if (existing?.failover === false && config.failoverSlot && !existing.synced) {
    await turnOnFailover(ctx, slotName);
  }

  let count = 0;
  if (needCopy.length > 0) {
    if (!existing) {
      const snap = await createSlotExportingSnapshot(
        config,
        slotName,
        config.logicalDecodingPlugin,
        (pid) => watchSlotCreation(ctx.client, ctx.log, slotName, pid, ctx.slotWait),
      );
      try {
        offset.slotCreated(snap.consistentPoint);
        count += await copyStreams(ctx, offset, needCopy, {
          snapshotName: snap.snapshotName,
          at: snap.consistentPoint,
        });
      } finally {
        await snap.close();
      }
    } else {
      count += await copyStreams(ctx, offset, needCopy, await copyPoint(ctx.client));
    }
  }
  if (ctx.testMode) return count;
  count += await streamChanges(ctx, streams, offset);
  count += await copyAgain(ctx, offset, streams);
  return count;
}

/**
 * A slot made without FAILOVER (before this setting, or by hand) gets it, so that from now on
 * standbys keep a copy; on a standby (which decodes with a slot of its own) there is nothing to
 * synchronise to.
 */
async function turnOnFailover(ctx: SyncContext, slotName: string): Promise<void> {
  if (await isStandby(ctx.client)) return;
  await enableSlotFailover(ctx.config, slotName);
  ctx.log.info(
    `replication slot '${slotName}': failover turned on (failover_slot), so standbys with sync_replication_slots keep a copy of it`,
  );
}

/** A version newer than the bookmark's: targets drop every older version on ACTIVATE_VERSION. */
function newVersion(b: Bookmark): number {
  return typeof b.version === 'number' ? Math.max(Date.now(), b.version + 1) : Date.now();
}

/**
 * Sends the stream's SCHEMA: the catalog's, with the live types of columns retyped since
 * discovery (src/sync/live-schema.ts). Changes still in the WAL from before a type change are
 * checked against it (stream-shape.ts).
 */
function openStream(
  ctx: SyncContext,
  sc: StreamColumns,
  version: number,
  identity: TableIdentity | undefined,
): LogStream {
  const schema = logBasedSchema(sc.stream.schema);
  const out = ctx.writer.beginStream({
    stream: sc.stream.stream,
    schema,
    keyProperties: sc.stream.keyProperties,
    bookmarkProperties: [],
    ...(ctx.config.emitActivateVersion ? { version } : {}),
  });
  const {
    _sdc_lsn: _l,
    _sdc_deleted_at: _d,
    ...sent
  } = schema.properties as Record<string, Readonly<Record<string, unknown>>>;
  return { sc, out, version, sent, identity, facts: streamFacts(sc), recopy: null };
}

/**
 * Streams whose table changed mid-run (created again, a column's JSON type changed): copied now,
 * with the table's current columns and types, under a new version, from the current WAL position.
 */
async function copyAgain(
  ctx: SyncContext,
  offset: LogOffset,
  streams: readonly LogStream[],
): Promise<number> {
  const stale = streams.filter((s) => s.recopy !== null);
  if (stale.length === 0) return 0;
  const fresh = await resolveStreamColumns(
    ctx.client,
    stale.map((s) => s.sc.stream),
    ctx.policy,
  );
  const identities = await tableIdentities(
    ctx.client,
    stale.map((s) => s.sc.stream),
  );
  const again = fresh.map((sc, i) =>
    openStream(
      ctx,
      sc,
      Math.max(Date.now(), stale[i]!.version + 1),
      identities.get(identityKey(sc.stream.schemaName, sc.stream.tableName)),
    ),
  );
  const count = await copyStreams(ctx, offset, again, await copyPoint(ctx.client));
  for (const s of again) saveBookmark(ctx, offset, s);
  ctx.emitState();
  await ctx.writer.flush();
  for (const s of again) ctx.log.info(`${streamId(s)}: copied again under version ${s.version}`);
  return count;
}
