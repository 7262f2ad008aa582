import { RuntimeError } from '../errors';
import type { BatchConfig } from './batch-config';
import { DURABILITY, type BatchFile, type DurabilityCalls } from './batch-file';
import { batchMessageLine, fileUri } from './batch-message';
import { StreamBatch, type BatchFiles } from './stream-batch';

/**
 * Bytes handed to files but not yet compressed and written, above which the tap waits: a slow
 * disk (or gzip falling behind) then slows the reading of rows instead of growing memory.
 */
const MAX_IN_FLIGHT = 4 * 1024 * 1024;
/** Files being ended, fsynced and renamed at once, above which the tap waits. */
const MAX_COMPLETING = 4;

/**
 * zlib level. One file is compressed on one thread at a time, and it must keep up with the thread
 * that encodes rows: on JSON lines of a 5-column table, level 1 ran at 114 MB/s to 12.4% of the
 * size, level 6 at 36 MB/s to 11.9% (measured).
 */
export const GZIP_LEVEL = 1;

/** A completed file on its way to durability, then to a BATCH message. */
interface Completing {
  readonly line: string;
  readonly done: Promise<void>;
  durable: boolean;
  announced: boolean;
}

/**
 * The run's BATCH output. Records of batched copies go to files (StreamBatch); a file completed
 * at `batch_size` is announced by a BATCH message once it is durable. At a STATE, an
 * ACTIVATE_VERSION or a SCHEMA (`barrier`) every open file is completed and every file not yet
 * announced gets its BATCH message at once, ahead of that message, and `settle` (awaited by
 * `SingerWriter.flush` before it hands anything to stdout) waits until those files are durable:
 * no STATE reaches stdout before the BATCH messages of the records it covers, and no BATCH message
 * before its file is complete and fsynced.
 */
export class Batcher implements BatchFiles {
  private inFlight = 0;
  private completing = 0;
  private readonly streams = new Set<StreamBatch>();
  /** Completed files in the order they were completed, until announced and durable. */
  private queue: Completing[] = [];
  /** Files whose durability the lines already buffered wait for. */
  private waitFor: Completing[] = [];
  private failure: Error | undefined;
  private waiting: Array<() => void> = [];

  constructor(
    readonly config: BatchConfig,
    /** Appends a whole line to the output (the writer's buffer). */
    private readonly emit: (line: string) => void,
    readonly gzipLevel: number = GZIP_LEVEL,
    readonly durability: DurabilityCalls = DURABILITY,
  ) {}

  /** A sink for one copy of `stream`. */
  stream(stream: string): StreamBatch {
    const b = new StreamBatch(stream, this);
    this.streams.add(b);
    return b;
  }

  get behind(): boolean {
    return this.inFlight > MAX_IN_FLIGHT || this.completing > MAX_COMPLETING;
  }

  track(bytes: number): () => void {
    this.inFlight += bytes;
    return () => {
      this.inFlight -= bytes;
      this.poke();
    };
  }

  completed(stream: string, file: BatchFile): void {
    this.completing++;
    const entry: Completing = {
      line: batchMessageLine(this.config, stream, fileUri(file.path)),
      done: file.complete().then(
        () => {
          this.completing--;
          entry.durable = true;
          this.announceDurable();
          this.poke();
        },
        (e: unknown) => {
          this.completing--;
          this.failure ??= new RuntimeError(
            `batch file ${file.path}: ${(e as Error).message ?? String(e)}`,
          );
          this.poke();
          throw this.failure;
        },
      ),
      durable: false,
      announced: false,
    };
    entry.done.catch(() => {}); // reported by settle
    this.queue.push(entry);
  }

  /**
   * Before a message that must follow the records written so far: of every stream (`stream`
   * undefined: a STATE) or of one (its SCHEMA, its ACTIVATE_VERSION).
   */
  barrier(stream?: string): void {
    for (const b of this.streams) {
      if (stream === undefined || b.stream === stream) b.roll();
    }
    for (const entry of this.queue) {
      if (entry.announced) continue;
      entry.announced = true;
      this.emit(entry.line);
      this.waitFor.push(entry);
    }
  }

  /** The end of a copy (`sink` from `stream`): its last file is announced like at a barrier. */
  finish(sink: unknown): void {
    if (!(sink instanceof StreamBatch) || !this.streams.delete(sink)) return;
    sink.end();
    this.barrier(sink.stream);
  }

  /**
   * Waits while the bytes in flight are above the limit, and says whether the buffered lines may
   * go to stdout: only once every file they announce is durable. `wait`: wait for those files
   * (the output buffer is full, or the run ends); else, while they are not durable yet, the lines
   * stay buffered and the rows go on being read meanwhile. Throws the first file error.
   */
  async settle(wait: boolean): Promise<boolean> {
    while (
      !this.failure &&
      (this.inFlight > MAX_IN_FLIGHT / 2 || this.completing > MAX_COMPLETING)
    ) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    if (this.waitFor.length > 0 && !this.failure) {
      if (!wait && !this.waitFor.every((e) => e.durable)) return false;
      const files = this.waitFor;
      this.waitFor = [];
      await Promise.all(files.map((e) => e.done)).catch(() => {});
    }
    if (this.failure) throw this.failure;
    return true;
  }

  /** Durable files at the head of the queue get their BATCH messages, in order. */
  private announceDurable(): void {
    while (this.queue.length > 0 && this.queue[0]!.durable) {
      const entry = this.queue.shift()!;
      if (entry.announced) continue;
      entry.announced = true;
      this.emit(entry.line);
    }
  }

  private poke(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }
}
