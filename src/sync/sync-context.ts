import type { ClientBase } from 'pg';
import type { TestMode } from '../cli/parse-args';
import { StopRequested, type StopRequest } from '../cli/signals';
import type { TapConfig } from '../config/tap-config';
import type { Logger } from '../log/logger';
import { warningsOnce } from '../log/warn-once';
import { SLOT_WAIT_TIMING, type SlotWaitTiming } from '../replication/slot-creation-wait';
import type { SingerWriter } from '../singer/writer';
import { LiveState } from '../state/live-state';
import type { Bookmark, TapState } from '../state/tap-state';
import type { ValuePolicy } from '../values';
import type { StreamColumns } from './stream-columns';

/** A resumable point at least this often during a long stream. */
export const STATE_EVERY_RECORDS = 10_000;

/** What every replication method gets; the state is the only thing they change. */
export class SyncContext {
  /** The state the run started with: what the target has committed (the acknowledgement limit). */
  readonly incoming: TapState;
  /** Set when the query connection died under the run (see throwIfInterrupted). */
  private lost: Error | undefined;
  /**
   * For set-up checks that run more than once in a run (the LOG_BASED gate runs before the first
   * stream, again when LOG_BASED starts, and again on a retry): each warning is said once.
   */
  readonly checkLog: Logger;

  /**
   * Each table's size when the run started, for the streams that may be copied in ranges
   * (full-table-parallel.ts); undefined before it is measured or with snapshot_parallelism 1.
   */
  sizesAtStart:
    ReadonlyMap<string, { relkind: string; blocks: number; version: number }> | undefined;
  private readonly current: LiveState;
  /** When the last STATE was written (the run's start before the first). */
  private lastStateAt: number;
  /** The state's revision when the last STATE was written. */
  private writtenRevision = -1;
  /** The bookmarks' revision at the last resumable point whose STATE the interval held back. */
  private heldRevision: number | undefined;
  private readonly stateIntervalMs: number;

  constructor(
    private conn: ClientBase,
    readonly writer: SingerWriter,
    readonly config: TapConfig,
    readonly log: Logger,
    readonly policy: ValuePolicy,
    readonly testMode: TestMode | undefined,
    incoming: TapState,
    private readonly stop?: StopRequest,
    /** When a LOG_BASED first run says what creating its slot waits for. */
    readonly slotWait: SlotWaitTiming = SLOT_WAIT_TIMING,
    /** Milliseconds on a monotonic clock: when STATE is due. */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.incoming = incoming;
    this.current = new LiveState(incoming);
    this.lastStateAt = now();
    this.stateIntervalMs = config.stateIntervalSeconds * 1000;
    this.checkLog = warningsOnce(log);
    this.watch(conn);
  }

  /** The query connection; replaced after a lost connection (src/sync/retry.ts). */
  get client(): ClientBase {
    return this.conn;
  }

  replaceClient(next: ClientBase): void {
    this.conn = next;
    this.lost = undefined;
    this.watch(next);
  }

  /**
   * Called at each safe boundary (a batch and its STATE written, or between transactions). After
   * SIGTERM / SIGINT the stream ends here and the run emits its final STATE. A query connection
   * that died meanwhile (the server shutting down, pg_terminate_backend) ends it too, as a
   * connection error the caller retries: LOG_BASED streaming barely uses that connection, and a
   * server's fast shutdown waits for the replication connection to confirm everything sent, which
   * the tap never does, so the tap has to let go of it.
   */
  throwIfInterrupted(): void {
    if (this.stop?.requested) throw new StopRequested(this.stop.reason);
    if (this.lost) throw this.lost;
  }

  private watch(client: ClientBase): void {
    const conn = client;
    client.on('error', (e: Error) => {
      if (this.conn === conn) this.lost ??= e;
    });
  }

  /** The run's state so far; changed only through setBookmark and setCurrentlySyncing. */
  get state(): TapState {
    return this.current;
  }

  setCurrentlySyncing(streamId: string | null): void {
    this.current.setCurrentlySyncing(streamId);
  }

  /** Says, once per stream, how many values JSON could not carry as themselves and what was sent. */
  reportUnrepresentable(streamId: string, counts: ReadonlyMap<string, number>): void {
    for (const [column, n] of counts) {
      this.log.warn(
        `${streamId}: ${n} value(s) of column '${column}' have no JSON / RFC 3339 form (NaN, infinity, BC or year > 9999); sent as ${this.policy.temporalOutOfRange === 'null' ? 'null' : `per temporal_out_of_range=${this.policy.temporalOutOfRange} (NaN and infinite numbers as null)`}`,
      );
    }
  }

  /** Replaces a stream's bookmark at a resumable point: emitState after the records it covers. */
  checkpoint(streamId: string, bookmark: Bookmark): void {
    this.setBookmark(streamId, bookmark);
    this.emitState();
  }

  /** Replaces a stream's bookmark without a STATE yet (several streams, one STATE). */
  setBookmark(streamId: string, bookmark: Bookmark): void {
    this.current.setBookmark(streamId, bookmark);
  }

  /**
   * A resumable point: the state so far goes after the records already written, as a STATE once
   * `state_interval_seconds` have passed since the last one, else with a later STATE (a target
   * gains nothing from more, and each costs it a state write). Returns whether a STATE was written.
   */
  emitState(): boolean {
    if (this.testMode) return false;
    if (this.now() - this.lastStateAt < this.stateIntervalMs) {
      this.heldRevision = this.current.bookmarkRevision;
      return false;
    }
    this.writeState();
    return true;
  }

  /**
   * A STATE now, whatever the interval: the run's last, or one that something waits for. Returns
   * whether a STATE was written (not with --test).
   */
  emitStateNow(): boolean {
    if (this.testMode) return false;
    this.writeState();
    return true;
  }

  /**
   * After a failure: the STATE the interval held back at the last resumable point, if no bookmark
   * changed since (one set after that point may cover records never written; the stream being
   * synced may change, it only orders the next run). It resumes the next run where a STATE at
   * every point would have.
   */
  emitHeldState(): void {
    if (this.testMode || this.heldRevision !== this.current.bookmarkRevision) return;
    this.writeState();
  }

  private writeState(): void {
    this.lastStateAt = this.now();
    this.heldRevision = undefined;
    if (this.writtenRevision === this.current.revision) return;
    this.writtenRevision = this.current.revision;
    this.writer.stateJson(this.current.serialize());
  }
}

/** Every replication method has this shape; one table maps the method to its function. */
export type SyncMethod = (
  ctx: SyncContext,
  sc: StreamColumns,
  bookmark: Bookmark,
) => Promise<number>;
