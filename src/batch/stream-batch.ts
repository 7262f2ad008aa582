import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ByteSink } from '../values/byte-sink';
import type { BatchConfig } from './batch-config';
import { BatchFile, type DurabilityCalls } from './batch-file';
import { batchFileName } from './batch-message';

/** Encoded records go to the file in pieces of about this size (one write, one buffer each). */
export const PIECE_BYTES = 256 * 1024;

/**
 * Pieces kept for reuse once written: as many as may be in flight (src/batch/batcher.ts), so a
 * long copy fills the same buffers all along; a new one per piece was memory outside V8's heap
 * that only its next collection gave back (the narrow bench's peak RSS: 101 MB with 2, 81 with 16).
 */
const SPARE_PIECES = 16;

const EMPTY = Buffer.alloc(0);

/** What a stream's batch needs from the run's batcher (src/batch/batcher.ts). */
export interface BatchFiles {
  readonly config: BatchConfig;
  readonly gzipLevel: number;
  readonly durability: DurabilityCalls;
  /** Counts `bytes` as in flight until `done` is called. */
  track(bytes: number): () => void;
  /** A file of `stream` is full or closed: it becomes durable and then announced. */
  completed(stream: string, file: BatchFile): void;
  /** True when the tap should wait (`SingerWriter.flush`) before reading more. */
  readonly behind: boolean;
}

/**
 * One copy of one stream in batch mode: a ByteSink the record encoders write `{…}\n` lines into,
 * cut into files of `batch_size` records. Pieces of encoded lines go to the open file as they
 * fill, so the file is written while the next rows are read; a file is opened at its first
 * record, never empty.
 */
export class StreamBatch implements ByteSink {
  buf: Buffer;
  pos = 0;
  /** Where the current line starts (the writer's ByteSink contract; lines never move here). */
  lineStart = 0;
  private file: BatchFile | null = null;
  /** Records in the open file. */
  private records = 0;
  private files = 0;
  private readonly copyId = randomUUID();
  private readonly spares: Buffer[] = [];
  private ended = false;

  constructor(
    readonly stream: string,
    private readonly owner: BatchFiles,
  ) {
    // Buffers come with the first record: a run of many small tables holds none between copies.
    this.buf = EMPTY;
  }

  /** ByteSink: a line that does not fit continues in another buffer (the file joins them). */
  reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    this.handOff();
    this.buf =
      bytes > PIECE_BYTES
        ? Buffer.allocUnsafeSlow(bytes)
        : (this.spares.pop() ?? Buffer.allocUnsafeSlow(PIECE_BYTES));
  }

  /** A record line is complete. True when the caller should wait before reading more. */
  recordEnd(): boolean {
    if (++this.records >= this.owner.config.batchSize) this.roll();
    else if (this.pos >= PIECE_BYTES) this.handOff();
    return this.owner.behind;
  }

  /**
   * `count` whole record lines made elsewhere (a range-copy worker); `release` once the file has
   * taken every byte of them. Cut at `batch_size` like encoded ones.
   */
  appendLines(lines: Buffer, count: number, release?: () => void): boolean {
    this.handOff();
    let pending = 1;
    const settle = () => {
      if (--pending === 0) release?.();
    };
    let from = 0;
    let left = count;
    while (left > 0) {
      const room = this.owner.config.batchSize - this.records;
      let to = lines.length;
      if (left > room) {
        to = from;
        for (let i = 0; i < room; i++) to = lines.indexOf(10, to) + 1;
      }
      const n = Math.min(left, room);
      pending++;
      this.write(lines.subarray(from, to), settle);
      this.records += n;
      left -= n;
      from = to;
      if (this.records >= this.owner.config.batchSize) this.roll();
    }
    settle();
    return this.owner.behind;
  }

  /** The copy is over: its last file is completed and its buffers let go. */
  end(): void {
    this.roll();
    this.ended = true;
    this.buf = EMPTY;
    this.spares.length = 0;
  }

  /** Completes the open file, if any: the next record starts another. */
  roll(): void {
    this.handOff();
    const file = this.file;
    if (!file) return;
    this.file = null;
    this.records = 0;
    this.owner.completed(this.stream, file);
  }

  /** The encoded bytes so far go to the file; encoding continues in a spare buffer. */
  private handOff(): void {
    if (this.pos === 0) return;
    const piece = this.buf.subarray(0, this.pos);
    const full = this.buf;
    this.buf = EMPTY;
    this.pos = 0;
    this.write(piece, () => {
      if (!this.ended && full.length === PIECE_BYTES && this.spares.length < SPARE_PIECES)
        this.spares.push(full);
    });
  }

  private write(bytes: Buffer, done: () => void): void {
    if (bytes.length === 0) return done();
    this.file ??= new BatchFile(
      join(
        this.owner.config.root,
        batchFileName(this.owner.config, this.stream, this.copyId, ++this.files),
      ),
      this.owner.config.compression,
      this.owner.gzipLevel,
      this.owner.durability,
    );
    const untrack = this.owner.track(bytes.length);
    this.file.write(bytes, () => {
      untrack();
      done();
    });
  }
}
