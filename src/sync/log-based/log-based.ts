import { Client } from 'pg';
import { clientConfig } from '../../db/connect';
import { copyRowBytes } from '../../db/copy-reader';
import { selectColumns } from '../../db/quote';
import { exportSnapshot } from '../../db/shared-snapshot';
import { RuntimeError } from '../../errors';
import {
  compareLsn,
  formatLsn,
  INVALID_LSN,
  lsnFromStateInt,
  lsnToStateInt,
  maxLsn,
  minLsn,
  type Lsn,
} from '../../replication/lsn';
import { prepareDecoding } from '../../replication/change-decoder';
import {
  beginInSnapshot,
  currentWalLsn,
  createSlotExportingSnapshot,
  slotInfo,
} from '../../replication/slot';
import { WalReader } from '../../replication/wal-reader';
import { statusIntervalMs } from '../../replication/status-interval';
import { StreamOutput } from '../../singer/writer';
import { bookmarkFor, type Bookmark } from '../../state/tap-state';
import { pgEpochMicrosToRfc3339 } from '../../values';
import { copyInRanges, planParallelCopy } from '../full-table-parallel';
import { recordEncoder } from '../record-encoder';
import type { StreamColumns } from '../stream-columns';
import type { SyncContext } from '../sync-context';
import {
  ChangeEncoder,
  type BufferedChange,
  type BufferedEntry,
  type RelationLayout,
} from './change-encoder';
import { assertPublication, assertReplicationReady } from './readiness';
import { ackableLsn, handleSlotLoss } from './slot-loss';
import { logBasedSchema, StreamShape } from './stream-shape';
import { ToastFetcher } from './toast-fetch';
import { TransactionBuffer } from './transaction-buffer';
import { currentColumnTypes, TypeLookup } from './type-lookup';
import { Heartbeat, logSlotRetention } from './wal-hygiene';

export { logBasedSchema } from './stream-shape';

interface LogStream {
  readonly sc: StreamColumns;
  /** Replaced when the stream's SCHEMA is sent again or a TRUNCATE starts a new version. */
  out: StreamOutput;
  version: number;
  /** Changes committed at or before this LSN are already covered (by the copy or a past run). */
  lsn: Lsn;
}

const bookmarkLsn = (b: Bookmark): Lsn | null =>
  typeof b.lsn === 'number' && b.lsn > 0 ? lsnFromStateInt(b.lsn) : null;

/**
 * LOG_BASED (contract §6) for every LOG_BASED stream of the run, over one replication connection.
 *
 * - First run (no slot): the slot is created exporting its snapshot, the tables are copied inside
 *   that snapshot, and streaming starts at the slot's consistent point: no gap, no overlap.
 * - A stream added later (slot exists, no bookmark): its table is copied after noting the current
 *   WAL position, which becomes its bookmark: changes committed during the copy may come twice
 *   (at-least-once), none is lost.
 * - The slot is confirmed up to the incoming state's LSN at start, never further (ack_mode
 *   next_run); `on_emit` also confirms each STATE once written.
 * - Records of a transaction are emitted at its Commit with `_sdc_lsn` = the commit's end LSN, and
 *   STATE only between transactions.
 */
export async function syncLogBased(
  ctx: SyncContext,
  scs: readonly StreamColumns[],
): Promise<number> {
  const config = ctx.config;
  const slotName = config.replicationSlot;
  const useVersion = config.emitActivateVersion;
  const existing = await slotInfo(ctx.client, slotName);
  await assertReplicationReady(ctx, existing);
  handleSlotLoss(ctx, existing, scs); // fault handling: src/sync/log-based/slot-loss.ts
  await assertPublication(ctx, scs);

  const streams: LogStream[] = [];
  const needCopy: LogStream[] = [];
  const incoming: Lsn[] = [];
  for (const sc of scs) {
    const b = bookmarkFor(ctx.state, sc.stream.tapStreamId, 'LOG_BASED', null);
    const had = bookmarkLsn(b);
    if (had && !existing) {
      throw new RuntimeError(
        `replication slot '${slotName}' does not exist but the state has an LSN for ${sc.stream.tapStreamId}: changes since then are lost to the slot. Remove the stream's bookmark from the state to copy the table again`,
      );
    }
    const ackable = ackableLsn(ctx, sc.stream.tapStreamId, had);
    if (ackable) incoming.push(ackable);
    const lsn = existing ? had : null;
    const version = lsn && typeof b.version === 'number' ? b.version : Date.now();
    const out = ctx.writer.beginStream({
      stream: sc.stream.stream,
      schema: logBasedSchema(sc.stream.schema),
      keyProperties: sc.stream.keyProperties,
      bookmarkProperties: [],
      ...(useVersion ? { version } : {}),
    });
    const s: LogStream = { sc, out, version, lsn: lsn ?? INVALID_LSN };
    streams.push(s);
    if (!lsn) needCopy.push(s);
  }
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
        count += await copyStreams(ctx, needCopy, snap.snapshotName, snap.consistentPoint);
      } finally {
        await snap.close();
      }
    } else {
      count += await copyStreams(ctx, needCopy, null, await currentWalLsn(ctx.client));
    }
  }
  if (ctx.testMode) return count;
  // The acknowledgement rule: what the incoming state says the target committed, never more.
  const ack = incoming.length ? minLsn(incoming[0]!, ...incoming) : INVALID_LSN;
  const slot = await slotInfo(ctx.client, slotName);
  count += await stream(ctx, streams, slot?.confirmedFlushLsn ?? INVALID_LSN, ack);
  return count;
}

/**
 * Copies tables inside the slot's snapshot (or, for a table added later, a fresh one), each
 * through `COPY` and the byte-level encoder as FULL_TABLE does, or, for a large table with
 * `snapshot_parallelism` > 1, in CTID ranges over several connections importing that snapshot.
 */
async function copyStreams(
  ctx: SyncContext,
  streams: readonly LogStream[],
  snapshotName: string | null,
  at: Lsn,
): Promise<number> {
  const reader = new Client(clientConfig(ctx.config));
  reader.on('error', () => {});
  await reader.connect();
  let count = 0;
  try {
    let snapshot = snapshotName;
    if (snapshot) await beginInSnapshot(reader, snapshot);
    else snapshot = await exportSnapshot(reader);
    for (const s of streams) {
      const st = s.sc.stream;
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
            stream: st.stream,
            version: s.out.version,
            bodyTail: tail,
          },
          ranges,
          async (lines, records) => {
            s.out.recordLines(lines, records);
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
        s.out.setExtractedAt(new Date());
        const r = await copyRowBytes(
          reader,
          ctx.testMode ? `${sql} LIMIT 1` : sql,
          present.length,
          (src, fields) => s.out.recordFromBytes(body, src, fields, tailBytes),
          async () => {
            if (ctx.writer.full) await ctx.writer.flush();
            s.out.setExtractedAt(new Date());
            ctx.throwIfInterrupted(); // SIGTERM: no bookmark yet, the next run copies it again
          },
        );
        count += r.rows;
        unrepresentable = encoder.unrepresentable;
      }
      ctx.reportUnrepresentable(st.tapStreamId, unrepresentable);
      if (ctx.testMode) continue;
      s.lsn = at;
      if (ctx.config.emitActivateVersion) ctx.writer.activateVersion(st.stream, s.version);
      checkpoint(ctx, s);
      await ctx.writer.flush();
    }
    await reader.query('COMMIT');
  } finally {
    await reader.end().catch(() => {});
  }
  return count;
}

function checkpoint(ctx: SyncContext, s: LogStream): void {
  setBookmark(ctx, s);
  ctx.emitState();
}

function setBookmark(ctx: SyncContext, s: LogStream): void {
  ctx.setBookmark(s.sc.stream.tapStreamId, {
    last_replication_method: 'LOG_BASED',
    version: s.version,
    lsn: lsnToStateInt(s.lsn),
    xmin: null,
  });
}

/** Streams from the slot until the WAL position seen at start, idleness, or max_run_seconds. */
async function stream(
  ctx: SyncContext,
  streams: LogStream[],
  slotConfirmed: Lsn,
  ack: Lsn,
): Promise<number> {
  const config = ctx.config;
  const byId = new Map(streams.map((s) => [s.sc.stream.tapStreamId, s]));
  const encoder = new ChangeEncoder(
    streams.map((s) => ({
      tapStreamId: s.sc.stream.tapStreamId,
      schemaName: s.sc.stream.schemaName,
      tableName: s.sc.stream.tableName,
      deselected: new Set(s.sc.stream.deselected),
    })),
  );
  const baselines = await currentColumnTypes(
    ctx.client,
    streams.map((s) => [s.sc.stream.schemaName, s.sc.stream.tableName] as const),
  );
  const lookup = new TypeLookup(ctx.client);
  const shapes = new Map(
    streams.map((s) => {
      const st = s.sc.stream;
      const baseline = baselines.get(JSON.stringify([st.schemaName, st.tableName])) ?? new Map();
      return [s, new StreamShape(s.sc, baseline, lookup, ctx.policy, ctx.log)] as const;
    }),
  );
  const apply = new TransactionApplier(ctx, byId, shapes, encoder);
  const buffer = new TransactionBuffer(config.transactionSpillThresholdMb * 1024 * 1024, (n) =>
    ctx.log.info(
      `a transaction passed transaction_spill_threshold_mb (${config.transactionSpillThresholdMb} MB) at ${n} changes: the rest waits for its commit in a temporary file`,
    ),
  );
  const heartbeat = new Heartbeat(ctx.client, config.heartbeatIntervalSeconds, ctx.log);
  await logSlotRetention(ctx.client, ctx.log, config.replicationSlot, config.walRetainedWarnMb);
  const { start, decode } = await prepareDecoding(ctx.client, {
    plugin: config.logicalDecodingPlugin,
    tables: streams.map((s) => ({ schema: s.sc.stream.schemaName, table: s.sc.stream.tableName })),
    pgoutput: { publication: config.publicationName, protoVersion: 1, messages: false },
  });
  const reader = new WalReader(
    config,
    config.replicationSlot,
    start,
    maxLsn(slotConfirmed, ack),
    await statusIntervalMs(ctx.client),
  );
  // A heartbeat before the end position is read: even an idle database then has a position past
  // the incoming state to reach.
  await heartbeat.beat();
  const endAt = await currentWalLsn(ctx.client);
  await reader.start(INVALID_LSN);
  if (compareLsn(ack, slotConfirmed) > 0) await reader.confirm(ack);

  const started = Date.now();
  let lastActivity = Date.now();
  let lastYield = Date.now();
  let inTx = false;
  let count = 0;
  try {
    for (;;) {
      if (Date.now() - started > config.maxRunSeconds * 1000) break;
      if (!inTx && Date.now() - lastActivity > config.logicalPollTotalSeconds * 1000) break;
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
        // A walsender still working through the WAL written before the run (other tables' changes)
        // is catching up, not idle.
        if (
          compareLsn(e.walEnd, endAt) < 0 &&
          streams.some((s) => compareLsn(e.walEnd, s.lsn) > 0)
        ) {
          lastActivity = Date.now();
        }
        // Everything the walsender decoded up to walEnd has been sent and processed: with no
        // relevant change the bookmarks still move, so the next run's acknowledgement frees WAL.
        for (const s of streams) s.lsn = maxLsn(s.lsn, e.walEnd);
        if (config.breakAtEndLsn && compareLsn(e.walEnd, endAt) >= 0) break;
        continue;
      }
      lastActivity = Date.now();
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
            const change = encoder.decode(msg);
            if (change) buffer.append(change);
            break;
          }
          case 'truncate': {
            const t = encoder.truncate(msg);
            if (t) buffer.append(t);
            break;
          }
          case 'commit': {
            inTx = false;
            const end = msg.endLsn;
            count += await apply.transaction(buffer, end, pgEpochMicrosToRfc3339(msg.commitTime));
            buffer.clear();
            // Every stream has now seen everything up to `end`: their bookmarks move together.
            for (const s of streams) s.lsn = maxLsn(s.lsn, end);
            for (const s of streams) setBookmark(ctx, s);
            ctx.emitState();
            await ctx.writer.flush();
            lastActivity = Date.now(); // time blocked on a slow consumer is not idleness
            if (config.ackMode === 'on_emit') await reader.confirm(end);
            if (config.breakAtEndLsn && compareLsn(end, endAt) >= 0) return count;
            break;
          }
          default:
            // Type, Origin, and logical messages (heartbeats included) carry no rows.
            break;
        }
      }
    }
    for (const s of streams) setBookmark(ctx, s);
    ctx.emitState();
    await ctx.writer.flush();
    if (config.ackMode === 'on_emit') {
      const last = minLsn(streams[0]!.lsn, ...streams.map((s) => s.lsn));
      await reader.confirm(last);
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

/** Entries held back while waiting for a TOAST fetch: the window stays small in memory. */
const MAX_WINDOW = 10_000;

/**
 * Emits one committed transaction: its records in commit order with `_sdc_lsn` = the commit's
 * end LSN, each stream's SCHEMA again before the first record of a new shape, and TRUNCATE as
 * `truncate_handling` says. A transaction a stream already has (copy or state) is skipped for
 * that stream, schema changes included, so a stream resynced after a failure does not fail again.
 */
class TransactionApplier {
  readonly toast: ToastFetcher;

  constructor(
    private readonly ctx: SyncContext,
    private readonly byId: ReadonlyMap<string, LogStream>,
    private readonly shapes: ReadonlyMap<LogStream, StreamShape>,
    private readonly encoder: ChangeEncoder,
  ) {
    this.toast = new ToastFetcher(ctx.client);
  }

  async transaction(buffer: TransactionBuffer, end: Lsn, at: string): Promise<number> {
    if (buffer.size === 0) return 0;
    if (buffer.spilled) {
      this.ctx.log.info(
        `emitting a transaction of ${buffer.size} changes (${Math.ceil(buffer.spilledBytes / 1024 / 1024)} MB on disk)`,
      );
    }
    const now = new Date();
    let count = 0;
    // Changes wait in a window until their unchanged TOAST values are fetched in one query.
    let window: BufferedEntry[] = [];
    let fetch: BufferedChange[] = [];
    const flush = async () => {
      if (fetch.length) await this.toast.fetch(fetch, (id) => this.encoder.layout(id));
      for (const e of window) {
        const n = this.emit(e, end, at, now);
        count += typeof n === 'number' ? n : await n;
      }
      window = [];
      fetch = [];
    };
    for (const e of buffer.entries()) {
      const needsFetch =
        e.kind === 'change' && e.missing.length > 0 && !this.covered(e.layoutId, end);
      if (!needsFetch && fetch.length === 0) {
        // Nothing waits for a fetch: emit now, without a promise unless the writer must flush.
        const n = this.emit(e, end, at, now);
        count += typeof n === 'number' ? n : await n;
        continue;
      }
      window.push(e);
      if (needsFetch) {
        fetch.push(e as BufferedChange);
        if (fetch.length >= this.toast.batchKeys) await flush();
      } else if (window.length >= MAX_WINDOW) await flush();
    }
    await flush();
    return count;
  }

  private streamOf(layoutId: number): LogStream {
    return this.byId.get(this.encoder.layout(layoutId).target.tapStreamId)!;
  }

  private covered(layoutId: number, end: Lsn): boolean {
    return compareLsn(end, this.streamOf(layoutId).lsn) <= 0;
  }

  /**
   * Synchronous unless the stream's shape changes or the writer must flush: an `await` per change
   * was a measurable share of a LOG_BASED backlog's CPU (microtask and promise per record).
   */
  private emit(e: BufferedEntry, end: Lsn, at: string, now: Date): number | Promise<number> {
    if (e.kind === 'truncate') {
      const hit = new Set(e.layoutIds.map((id) => this.streamOf(id)));
      for (const s of hit) if (compareLsn(end, s.lsn) > 0) this.truncate(s, end);
      return 0;
    }
    const layout = this.encoder.layout(e.layoutId);
    const s = this.streamOf(e.layoutId);
    if (compareLsn(end, s.lsn) <= 0) return 0; // already covered by the copy or the state
    const shape = this.shapes.get(s)!;
    if (!shape.hasAdopted(layout)) return this.emitInNewShape(e, s, shape, layout, end, at, now);
    return this.record(e, s, shape, end, at, now);
  }

  private async emitInNewShape(
    e: BufferedChange,
    s: LogStream,
    shape: StreamShape,
    layout: RelationLayout,
    end: Lsn,
    at: string,
    now: Date,
  ): Promise<number> {
    if (await shape.adopt(layout)) {
      s.out = this.ctx.writer.beginStream({
        stream: s.sc.stream.stream,
        schema: shape.schema(),
        keyProperties: s.sc.stream.keyProperties,
        bookmarkProperties: [],
        ...(s.out.version === undefined ? {} : { version: s.version }),
      });
    }
    return this.record(e, s, shape, end, at, now);
  }

  private record(
    e: BufferedChange,
    s: LogStream,
    shape: StreamShape,
    end: Lsn,
    at: string,
    now: Date,
  ): number | Promise<number> {
    s.out.setExtractedAt(now);
    if (!s.out.record(shape.body(e, end, at))) return 1;
    return this.ctx.writer.flush().then(() => 1);
  }

  private truncate(s: LogStream, end: Lsn): void {
    const st = s.sc.stream;
    const what = `TRUNCATE of ${st.schemaName}.${st.tableName} (stream ${st.tapStreamId}) committed at ${formatLsn(end)}`;
    switch (this.ctx.config.truncateHandling) {
      case 'error':
        throw new RuntimeError(
          `${what}; truncate_handling is 'error': empty the table in the target and resync the stream (remove its bookmark from the state), or set truncate_handling to 'version' or 'warn'`,
        );
      case 'warn':
        this.ctx.log.warn(
          `${what}: not propagated (truncate_handling: warn); the target keeps the rows`,
        );
        return;
      case 'version':
        if (s.out.version === undefined) {
          this.ctx.log.warn(
            `${what}: not propagated, because emit_activate_version is false; the target keeps the rows`,
          );
          return;
        }
        // Targets drop the rows of every older version on ACTIVATE_VERSION: the number must grow.
        s.version = Math.max(Date.now(), s.version + 1);
        s.out = new StreamOutput(this.ctx.writer, st.stream, s.version);
        this.ctx.writer.activateVersion(st.stream, s.version);
        this.ctx.log.info(`${what}: table version ${s.version} activated`);
        return;
    }
  }
}
