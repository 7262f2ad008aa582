import { RuntimeError } from '../../errors';
import { formatLsn, type Lsn } from '../../replication/lsn';
import { CompositeFieldsError } from '../../values';
import type { SyncContext } from '../sync-context';
import type {
  BufferedChange,
  BufferedEntry,
  ChangeEncoder,
  RelationLayout,
} from './change-encoder';
import { streamId, type LogStream } from './log-stream';
import type { LogOffset } from './offset';
import { ShapeNeedsCopy, type StreamShape } from './stream-shape';
import { ToastFetcher } from './toast-fetch';
import type { TransactionBuffer } from './transaction-buffer';

/** Entries held back while waiting for a TOAST fetch: the window stays small in memory. */
const MAX_WINDOW = 10_000;

/**
 * Emits one committed transaction: its records in commit order with `_sdc_lsn` = the commit's
 * end LSN, each stream's SCHEMA again before the first record of a new shape, and TRUNCATE as
 * `truncate_handling` says. A transaction a stream already has (copy or state) is skipped for
 * that stream, schema changes included, so a stream resynced after a failure does not fail again.
 */
export class TransactionApplier {
  readonly toast: ToastFetcher;

  constructor(
    private readonly ctx: SyncContext,
    private readonly byId: ReadonlyMap<string, LogStream>,
    private readonly shapes: ReadonlyMap<LogStream, StreamShape>,
    private readonly encoder: ChangeEncoder,
    private readonly offset: LogOffset,
    /** pgoutput: a Relation's id is the table's OID, so a table created again is recognised. */
    private readonly relationIdsAreOids: boolean,
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
      const gone = fetch.length
        ? await this.toast.fetch(fetch, (id) => this.encoder.layout(id))
        : null;
      if (gone?.size) {
        this.ctx.log.info(
          `${gone.size} change(s) of the transaction at ${formatLsn(end)} left out: their row no longer exists, so the values the server did not send cannot be read; a later change in the WAL deletes or replaces it`,
        );
      }
      for (const e of window) {
        // Its row was deleted or re-keyed since: that later change, further on in the WAL, is what
        // the target must end with; a record with unknown values would only be wrong meanwhile.
        if (gone?.has(e as BufferedChange)) continue;
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
    return this.offset.covers(streamId(this.streamOf(layoutId)), end);
  }

  /**
   * Synchronous unless the stream's shape changes or the writer must flush: an `await` per change
   * was a measurable share of a LOG_BASED backlog's CPU (microtask and promise per record).
   */
  private emit(e: BufferedEntry, end: Lsn, at: string, now: Date): number | Promise<number> {
    if (e.kind === 'truncate') {
      const hit = new Set(e.layoutIds.map((id) => this.streamOf(id)));
      for (const s of hit) {
        if (this.offset.covers(streamId(s), end)) continue;
        // Emptying the whole stream would drop the other partitions' rows downstream.
        if (e.partial)
          this.copyAgain(s, `a TRUNCATE of some of its partitions committed at ${formatLsn(end)}`);
        else this.truncate(s, end);
      }
      return 0;
    }
    const layout = this.encoder.layout(e.layoutId);
    const s = this.streamOf(e.layoutId);
    if (this.offset.covers(streamId(s), end)) return 0; // already covered by the copy or the state
    if (e.kind === 'key-lost') {
      const st = s.sc.stream;
      this.copyAgain(
        s,
        `an UPDATE or DELETE committed at ${formatLsn(end)} was written while the replica identity of ${st.schemaName}.${st.tableName} left out key properties ${layout.keyNotInWal.join(', ')}, so the row it changed or removed is not known`,
      );
      return 0;
    }
    if (this.relationIdsAreOids && s.identity && layout.relationOid !== s.identity.oid) {
      this.copyAgain(
        s,
        `${s.sc.stream.schemaName}.${s.sc.stream.tableName} was dropped and created again (OID ${s.identity.oid}, now ${layout.relationOid})`,
      );
      return 0;
    }
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
    let changed: boolean;
    try {
      changed = await shape.adopt(layout);
    } catch (e) {
      if (!(e instanceof ShapeNeedsCopy)) throw e;
      this.copyAgain(s, e.message);
      return 0;
    }
    if (changed) {
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
    let body: string;
    try {
      body = shape.body(e, end, at);
    } catch (err) {
      // ALTER TYPE … ADD / DROP ATTRIBUTE: the stream's schema and converters name other fields.
      if (!(err instanceof CompositeFieldsError)) throw err;
      this.copyAgain(
        s,
        `a value of ${err.sqlType} has other fields than the type's attributes when the run started (ALTER TYPE)`,
      );
      return 0;
    }
    s.out.setExtractedAt(now);
    if (!s.out.record(body)) return 1;
    return this.ctx.writer.flush().then(() => 1);
  }

  /**
   * The stream's table changed in a way its changes cannot carry: nothing more is emitted for it
   * in this stream, its position stays where it is, and the coordinator copies it again under a
   * new version before the run ends.
   */
  private copyAgain(s: LogStream, why: string): void {
    if (s.recopy) return;
    s.recopy = why;
    this.offset.freeze(streamId(s));
    this.ctx.log.warn(`${streamId(s)}: ${why}: the table is copied again under a new version`);
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
        s.out = s.out.withVersion(s.version);
        this.ctx.writer.activateVersion(st.stream, s.version);
        this.ctx.log.info(`${what}: table version ${s.version} activated`);
        return;
    }
  }
}
