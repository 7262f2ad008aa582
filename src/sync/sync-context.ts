import type { ClientBase } from 'pg';
import type { TestMode } from '../cli/parse-args';
import { StopRequested, type StopRequest } from '../cli/signals';
import type { TapConfig } from '../config/tap-config';
import type { Logger } from '../log/logger';
import type { SingerWriter } from '../singer/writer';
import type { Bookmark, TapState } from '../state/tap-state';
import { withBookmark } from '../state/tap-state';
import type { ValuePolicy } from '../values';
import type { StreamColumns } from './stream-columns';

/** STATE at least this often during a long stream (issue: "at least every 10,000 records"). */
export const STATE_EVERY_RECORDS = 10_000;

/** What every replication method gets; the state is the only thing they change. */
export class SyncContext {
  /** The state the run started with: what the target has committed (the acknowledgement limit). */
  readonly incoming: TapState;

  constructor(
    private conn: ClientBase,
    readonly writer: SingerWriter,
    readonly config: TapConfig,
    readonly log: Logger,
    readonly policy: ValuePolicy,
    readonly testMode: TestMode | undefined,
    private current: TapState,
    private readonly stop?: StopRequest,
  ) {
    this.incoming = current;
  }

  /** The query connection; replaced after a lost connection (src/sync/retry.ts). */
  get client(): ClientBase {
    return this.conn;
  }

  replaceClient(next: ClientBase): void {
    this.conn = next;
  }

  /**
   * Called at each safe boundary (a batch and its STATE written, or between transactions): after
   * SIGTERM / SIGINT the stream ends here and the run emits its final STATE.
   */
  throwIfStopping(): void {
    if (this.stop?.requested) throw new StopRequested(this.stop.reason);
  }

  get state(): TapState {
    return this.current;
  }

  set state(next: TapState) {
    this.current = next;
  }

  /** Says, once per stream, how many values JSON could not carry as themselves and what was sent. */
  reportUnrepresentable(streamId: string, counts: ReadonlyMap<string, number>): void {
    for (const [column, n] of counts) {
      this.log.warn(
        `${streamId}: ${n} value(s) of column '${column}' have no JSON / RFC 3339 form (NaN, infinity, BC or year > 9999); sent as ${this.policy.temporalOutOfRange === 'null' ? 'null' : `per temporal_out_of_range=${this.policy.temporalOutOfRange} (NaN and infinite numbers as null)`}`,
      );
    }
  }

  /** Replaces a stream's bookmark and queues a STATE after the records already written. */
  checkpoint(streamId: string, bookmark: Bookmark): void {
    this.setBookmark(streamId, bookmark);
    this.emitState();
  }

  /** Replaces a stream's bookmark without a STATE yet (several streams, one STATE). */
  setBookmark(streamId: string, bookmark: Bookmark): void {
    this.current = withBookmark(this.current, streamId, bookmark);
  }

  emitState(): void {
    if (!this.testMode) this.writer.state(this.current);
  }
}

/** Every replication method has this shape; one table maps the method to its function. */
export type SyncMethod = (
  ctx: SyncContext,
  sc: StreamColumns,
  bookmark: Bookmark,
) => Promise<number>;
