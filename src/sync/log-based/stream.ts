import { compareLsn, type Lsn } from '../../replication/lsn';
import { prepareDecoding } from '../../replication/change-decoder';
import { currentWalLsn, slotInfo } from '../../replication/slot';
import { WalReader } from '../../replication/wal-reader';
import { statusIntervalMs } from '../../replication/status-interval';
import { pgEpochMicrosToRfc3339 } from '../../values';
import type { SyncContext } from '../sync-context';
import { ChangeEncoder, logStreamTarget, type BufferedEntry } from './change-encoder';
import { saveBookmark, streamId, type LogStream } from './log-stream';
import type { LogOffset } from './offset';
import { StreamShape } from './stream-shape';
import { columnOrigin, liveColumn } from './table-identity';
import { TransactionApplier } from './transaction-applier';
import { TransactionBuffer } from './transaction-buffer';
import { currentColumnTypes, TypeLookup } from './type-lookup';
import { Idleness } from './idleness';
import { Heartbeat, logSlotRetention } from './wal-hygiene';

/**
 * Streams from the slot until the WAL position seen at start (break_at_end_lsn), idleness
 * (logical_poll_total_seconds) or max_run_seconds. Records of a transaction are emitted at its
 * Commit with `_sdc_lsn` = the commit's end LSN, STATE only between transactions; every position
 * and acknowledgement goes through `offset`.
 */
export async function streamChanges(
  ctx: SyncContext,
  streams: LogStream[],
  offset: LogOffset,
): Promise<number> {
  const config = ctx.config;
  const byId = new Map(streams.map((s) => [streamId(s), s]));
  const baselines = await currentColumnTypes(
    ctx.client,
    streams.map((s) => [s.sc.stream.schemaName, s.sc.stream.tableName] as const),
  );
  const encoder = new ChangeEncoder(
    streams.map((s) =>
      logStreamTarget(
        s.sc,
        baselines.get(JSON.stringify([s.sc.stream.schemaName, s.sc.stream.tableName])),
      ),
    ),
  );
  const lookup = new TypeLookup(ctx.client);
  const shapes = new Map(
    streams.map((s) => {
      const st = s.sc.stream;
      const baseline = baselines.get(JSON.stringify([st.schemaName, st.tableName])) ?? new Map();
      const start = s.identity;
      const origin = async (column: string) =>
        start
          ? columnOrigin(start, await liveColumn(ctx.client, st.schemaName, st.tableName, column))
          : ('added' as const);
      return [
        s,
        new StreamShape(s.sc, s.sent, baseline, lookup, ctx.policy, ctx.log, origin),
      ] as const;
    }),
  );
  const apply = new TransactionApplier(
    ctx,
    byId,
    shapes,
    encoder,
    offset,
    config.logicalDecodingPlugin === 'pgoutput',
  );
  const buffer = new TransactionBuffer(config.transactionSpillThresholdMb * 1024 * 1024, (n) =>
    ctx.log.info(
      `a transaction passed transaction_spill_threshold_mb (${config.transactionSpillThresholdMb} MB) at ${n} changes: the rest waits for its commit in a temporary file`,
    ),
  );
  const heartbeat = new Heartbeat(ctx.client, config.heartbeatIntervalSeconds, ctx.log);
  await logSlotRetention(
    ctx.client,
    ctx.checkLog,
    config.replicationSlot,
    config.walRetainedWarnMb,
  );
  const { start, decode } = await prepareDecoding(ctx.client, {
    plugin: config.logicalDecodingPlugin,
    tables: streams.map((s) => ({ schema: s.sc.stream.schemaName, table: s.sc.stream.tableName })),
    pgoutput: { publication: config.publicationName, protoVersion: 1, messages: false },
  });
  const reader = new WalReader(
    config,
    config.replicationSlot,
    start,
    offset.initialStatus(),
    await statusIntervalMs(ctx.client),
  );
  // A heartbeat before the end position is read: even an idle database then has a position past
  // the incoming state to reach.
  await heartbeat.beat();
  const endAt = await currentWalLsn(ctx.client);
  offset.serverShowed(endAt);
  await reader.start(offset.startPosition());
  await offset.confirmCommitted(reader);

  const append = (c: BufferedEntry) => buffer.append(c);
  /** Returns whether a STATE was written (the interval may hold it back). */
  const checkpoint = async (now = false) => {
    for (const s of streams) saveBookmark(ctx, offset, s);
    const written = now ? ctx.emitStateNow() : ctx.emitState();
    // on_emit confirms what this STATE covers once it returns: it must be on stdout by then, also
    // if a batch file were still being made durable (flush would otherwise keep it buffered).
    await ctx.writer.flush(written && ctx.config.ackMode === 'on_emit');
    return written;
  };
  const started = Date.now();
  const idleness = new Idleness(endAt, config.logicalPollTotalSeconds * 1000, started);
  let lastYield = Date.now();
  let inTx = false;
  let count = 0;
  try {
    for (;;) {
      if (Date.now() - started > config.maxRunSeconds * 1000) break;
      if (!inTx && idleness.idle(Date.now())) break;
      if (!inTx) {
        // A signal's handler runs in the event loop's poll phase, which a backlog served from the
        // reader's queue never reaches (each await resolves as a microtask, and stdout writes to a
        // pipe are synchronous): yield now and then, so SIGTERM is seen between transactions.
        if (Date.now() - lastYield > 50) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = Date.now();
        }
        ctx.throwIfInterrupted(); // SIGTERM: between transactions, after their STATE
      }
      const e = reader.poll() ?? (await reader.next(1000));
      if (e === 'idle') {
        await heartbeat.beat();
        await reader.ping();
        continue;
      }
      if (e === null) break;
      if (e.kind === 'keepalive') {
        if (inTx) continue;
        idleness.keepalive(e.walEnd, Date.now());
        // Everything the walsender decoded up to walEnd has been sent and processed: with no
        // relevant change the bookmarks still move, so the next run's acknowledgement frees WAL.
        offset.advance(e.walEnd);
        if (config.breakAtEndLsn && compareLsn(e.walEnd, endAt) >= 0) break;
        continue;
      }
      idleness.active(Date.now());
      for (const msg of decode(e.payload, e.lsn)) {
        switch (msg.tag) {
          case 'begin':
            inTx = true;
            buffer.clear();
            break;
          case 'relation':
            encoder.relation(msg);
            break;
          case 'insert':
          case 'update':
          case 'delete': {
            encoder.decodeInto(msg, append);
            break;
          }
          case 'truncate': {
            const t = encoder.truncate(msg);
            if (t) buffer.append(t);
            break;
          }
          case 'commit': {
            inTx = false;
            const end: Lsn = msg.endLsn;
            count += await apply.transaction(buffer, end, pgEpochMicrosToRfc3339(msg.commitTime));
            buffer.clear();
            // Every stream has now seen everything up to `end`: their bookmarks move together.
            offset.advance(end);
            const last = config.breakAtEndLsn && compareLsn(end, endAt) >= 0;
            // on_emit confirms what a printed STATE covers, never a position only held in memory;
            // the run's last transaction is confirmed, so its STATE is printed now.
            const written = await checkpoint(last && config.ackMode === 'on_emit');
            idleness.active(Date.now()); // time blocked on a slow consumer is not idleness
            if (written && config.ackMode === 'on_emit')
              await offset.confirm(reader, offset.least());
            if (last) return count;
            break;
          }
          default:
            // Type, Origin, and logical messages (heartbeats included) carry no rows.
            break;
        }
      }
    }
    await checkpoint(config.ackMode === 'on_emit');
    if (config.ackMode === 'on_emit') {
      const last = await offset.confirm(reader, offset.least());
      // Closing the connection right after the status update can reset it before the walsender
      // reads it (unread keepalives in our receive buffer turn the close into a reset): wait
      // until the server shows the position, briefly.
      for (let i = 0; i < 50; i += 1) {
        const slot = await slotInfo(ctx.client, config.replicationSlot);
        if (!slot?.confirmedFlushLsn || compareLsn(slot.confirmedFlushLsn, last) >= 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    buffer.clear();
    if (apply.toast.queries > 0) {
      ctx.log.debug(
        `fetched ${apply.toast.values} unchanged TOAST value(s) by key in ${apply.toast.queries} quer${apply.toast.queries === 1 ? 'y' : 'ies'}`,
      );
    }
    await reader.stop();
  }
  return count;
}
