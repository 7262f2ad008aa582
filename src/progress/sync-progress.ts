import type { SelectedStream } from '../catalog/stream-selection';
import type { Logger } from '../log/logger';
import type { RecordCounter, SingerWriter } from '../singer/writer';
import type { SyncObserver } from '../sync/sync-observer';
import type { LiveArea } from './live-area';
import { metricLine, recordCount, syncDuration, type MetricPoint } from './metrics';
import { plainProgressLine, progressBarLine, type StreamProgress } from './render';

/** How often the bars are redrawn on a terminal. */
const BAR_REFRESH_MS = 250;

interface Active {
  readonly stream: string;
  readonly counter: RecordCounter;
  readonly startedAt: number;
  readonly startCount: number;
  /** Counter value at the last record_count line. */
  reported: number;
}

export interface SyncProgressOptions {
  readonly writer: SingerWriter;
  readonly log: Logger;
  readonly intervalMs: number;
  readonly estimates: ReadonlyMap<string, number | null>;
  /** Present when stderr is a terminal: bars instead of plain progress lines. */
  readonly live?: LiveArea;
  readonly now?: () => number;
}

/**
 * Counts what the writer emitted per stream and reports it on stderr: Singer METRIC lines
 * (record_count every interval, sync_duration when a stream ends), plus a progress bar per running
 * stream on a terminal, or a plain progress line per interval otherwise.
 */
export class SyncProgress implements SyncObserver {
  private readonly active = new Map<string, Active>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;

  constructor(private readonly opts: SyncProgressOptions) {
    this.now = opts.now ?? Date.now;
    this.timers.push(setInterval(() => this.tick(), opts.intervalMs));
    if (opts.live) this.timers.push(setInterval(() => this.redraw(), BAR_REFRESH_MS));
    for (const t of this.timers) t.unref();
  }

  streamStarted(s: SelectedStream): void {
    const counter = this.opts.writer.counter(s.stream);
    this.active.set(s.stream, {
      stream: s.stream,
      counter,
      startedAt: this.now(),
      startCount: counter.n,
      reported: counter.n,
    });
    this.redraw();
  }

  streamFinished(s: SelectedStream, status: 'succeeded' | 'failed'): void {
    const a = this.active.get(s.stream);
    if (!a) return;
    this.active.delete(s.stream);
    this.metric(recordCount(a.stream, a.counter.n - a.reported));
    this.metric(syncDuration(a.stream, (this.now() - a.startedAt) / 1000, status));
    this.redraw();
  }

  /** Stops the timers and clears the bars; lines already printed stay. */
  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.opts.live?.close();
  }

  /** Every interval: the counters' increase, and a plain line when there are no bars. */
  tick(): void {
    for (const a of this.active.values()) {
      if (a.counter.n > a.reported) {
        this.metric(recordCount(a.stream, a.counter.n - a.reported));
        a.reported = a.counter.n;
      }
      if (!this.opts.live) this.opts.log.info(plainProgressLine(this.snapshot(a)));
    }
  }

  private snapshot(a: Active): StreamProgress {
    return {
      stream: a.stream,
      rows: a.counter.n - a.startCount,
      estimate: this.opts.estimates.get(a.stream) ?? null,
      elapsedMs: this.now() - a.startedAt,
    };
  }

  private redraw(): void {
    const live = this.opts.live;
    if (!live) return;
    const width = live.width();
    live.setLines([...this.active.values()].map((a) => progressBarLine(this.snapshot(a), width)));
  }

  private metric(point: MetricPoint): void {
    this.opts.log.info(metricLine(point), { metric: point });
  }
}
