import { Client } from 'pg';
import { clientConfig } from '../../db/connect';
import { cursorBatches } from '../../db/cursor';
import { qualifiedName, quoteIdent, selectColumns } from '../../db/quote';
import { RuntimeError } from '../../errors';
import {
  compareLsn,
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
import type { StreamOutput } from '../../singer/writer';
import { bookmarkFor, type Bookmark } from '../../state/tap-state';
import { pgEpochMicrosToRfc3339 } from '../../values';
import { recordEncoder } from '../record-encoder';
import type { StreamColumns } from '../stream-columns';
import type { SyncContext } from '../sync-context';
import { ChangeEncoder, type DecodedChange } from './change-encoder';
import { assertPublication, assertReplicationReady } from './readiness';
import { ackableLsn, handleSlotLoss } from './slot-loss';

/** LOG_BASED schemas: every column nullable, plus the two columns the contract adds. */
export function logBasedSchema(schema: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const nullable = Object.fromEntries(
    Object.entries(props).map(([k, p]) => {
      const t = p.type;
      const types = Array.isArray(t) ? (t as string[]) : t === undefined ? [] : [t as string];
      return [k, types.length && !types.includes('null') ? { ...p, type: ['null', ...types] } : p];
    }),
  );
  return {
    ...schema,
    properties: {
      ...nullable,
      _sdc_lsn: { type: ['null', 'integer'] },
      _sdc_deleted_at: { type: ['null', 'string'], format: 'date-time' },
    },
  };
}

interface LogStream {
  readonly sc: StreamColumns;
  readonly out: StreamOutput;
  readonly version: number;
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

/** Copies tables inside the slot's snapshot (or, for a table added later, a fresh one). */
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
    if (snapshotName) await beginInSnapshot(reader, snapshotName);
    else await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const limit = ctx.testMode ? 1 : ctx.config.batchFetchLimit;
    for (const s of streams) {
      const st = s.sc.stream;
      const encoder = recordEncoder(st.columns, s.sc.types, ctx.policy);
      const tail = `,"_sdc_lsn":${at.toString()},"_sdc_deleted_at":null`;
      const sql = selectColumns(st.columns, st.schemaName, st.tableName);
      for await (const rows of cursorBatches(reader, sql, [], limit)) {
        s.out.setExtractedAt(new Date());
        for (const row of rows) {
          count += 1;
          if (s.out.record(encoder.encode(row) + tail)) await ctx.writer.flush();
        }
        if (ctx.testMode) break;
        ctx.throwIfInterrupted(); // SIGTERM: no bookmark yet, the next run copies this table again
      }
      ctx.reportUnrepresentable(st.tapStreamId, encoder.unrepresentable);
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
      columns: s.sc.stream.columns,
      types: s.sc.types,
    })),
    ctx.policy,
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
    maxLsn(slotConfirmed, ack),
    await statusIntervalMs(ctx.client),
  );
  const endAt = await currentWalLsn(ctx.client);
  await reader.start(INVALID_LSN);
  if (compareLsn(ack, slotConfirmed) > 0) await reader.confirm(ack);

  const started = Date.now();
  let lastActivity = Date.now();
  let pending: DecodedChange[] = [];
  let inTx = false;
  let count = 0;
  try {
    for (;;) {
      if (Date.now() - started > config.maxRunSeconds * 1000) break;
      if (!inTx && Date.now() - lastActivity > config.logicalPollTotalSeconds * 1000) break;
      if (!inTx) ctx.throwIfInterrupted(); // SIGTERM: between transactions, after their STATE
      const e = await reader.next(1000);
      if (e === 'idle') {
        await reader.ping();
        continue;
      }
      if (e === null) break;
      if (e.kind === 'keepalive') {
        if (inTx) continue;
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
            pending = [];
            break;
          case 'relation':
            encoder.relation(msg);
            break;
          case 'insert':
          case 'update':
          case 'delete': {
            const change = encoder.decode(msg);
            if (change) pending.push(change);
            break;
          }
          case 'truncate':
            ctx.log.warn(
              `TRUNCATE of ${msg.relationIds.length} table(s) seen at ${e.lsn}; not propagated yet`,
            );
            break;
          case 'commit': {
            inTx = false;
            const end = msg.endLsn;
            const at = pgEpochMicrosToRfc3339(msg.commitTime);
            const now = new Date();
            for (const change of pending) {
              const s = byId.get(change.target.tapStreamId)!;
              if (compareLsn(end, s.lsn) <= 0) continue; // already covered by the copy or the state
              if (change.missing.length) await fetchMissing(ctx, s, change);
              s.out.setExtractedAt(now);
              if (s.out.record(encoder.body(change, end, at))) await ctx.writer.flush();
              count += 1;
            }
            pending = [];
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
            break;
        }
      }
    }
    for (const s of streams) setBookmark(ctx, s);
    ctx.emitState();
    await ctx.writer.flush();
    if (config.ackMode === 'on_emit') {
      await reader.confirm(minLsn(streams[0]!.lsn, ...streams.map((s) => s.lsn)));
    }
  } finally {
    await reader.stop();
  }
  return count;
}

/**
 * An unchanged TOAST value the server did not send and no old tuple carried: read the row's
 * current value by key. Never emitted as null (targets would overwrite the stored value).
 */
async function fetchMissing(ctx: SyncContext, s: LogStream, change: DecodedChange): Promise<void> {
  const st = s.sc.stream;
  const keys = s.sc.primaryKey;
  const keyIdx = keys.map((k) => st.columns.indexOf(k));
  if (keys.length === 0 || keyIdx.some((i) => i < 0)) {
    throw new RuntimeError(
      `${st.tapStreamId}: an update left a TOASTed column unchanged and the table has no selected primary key to fetch it by; set REPLICA IDENTITY FULL on ${st.schemaName}.${st.tableName}`,
    );
  }
  const cols = change.missing.map((j) => quoteIdent(st.columns[j]!));
  const where = keys.map((k, i) => `${quoteIdent(k)} = $${i + 1}`).join(' AND ');
  const r = await ctx.client.query<unknown[]>({
    text: `SELECT ${cols.join(', ')} FROM ${qualifiedName(st.schemaName, st.tableName)} WHERE ${where}`,
    values: keyIdx.map((i) => change.texts[i]),
    rowMode: 'array',
  });
  const row = r.rows[0] as (string | null)[] | undefined;
  // A row deleted since: a later Delete follows in the stream; the value is gone either way.
  change.missing.forEach((j, n) => (change.texts[j] = row ? (row[n] ?? null) : null));
}
