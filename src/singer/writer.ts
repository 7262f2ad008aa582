import type { Writable } from 'node:stream';
import type { BatchConfig } from '../batch/batch-config';
import { Batcher } from '../batch/batcher';
import { RuntimeError } from '../errors';
import { putBytes, putString, type ByteSink } from '../values/byte-sink';
import type { FieldRanges, RowBodyEncoder } from '../values/row-body-encoder';
import type { MappedStreamSetup } from '../maps/worker/protocol';
import type { JsonSchema, SingerMessage } from './messages';

/** Records are gathered into chunks of about this size: one write() per chunk, not per record. */
const DEFAULT_CHUNK_BYTES = 256 * 1024;

const EMPTY = Buffer.alloc(0);

/** Serialises a state value; a hook so bookmarks can carry exact big numbers. */
export type StateSerializer = (value: unknown) => string;

/** Told the serialised value of the last STATE of each chunk once stdout has taken the chunk. */
export type StateWrittenListener = (serializedValue: string) => void;

export interface WriterOptions {
  readonly chunkBytes?: number;
  readonly onStateWritten?: StateWrittenListener;
  /** BATCH mode: the records of batched outputs (StreamOutput.batched) go to files. */
  readonly batch?: BatchConfig;
  /** Stream maps (src/maps/): what each stream's SCHEMA, ACTIVATE_VERSION and RECORDs become. */
  readonly mapper?: RecordMapper;
}

/**
 * Where a StreamOutput encodes its record lines: the writer (RECORD lines) or a stream's batch
 * files (src/batch/stream-batch.ts, record objects).
 */
export interface RecordSink extends ByteSink {
  lineStart: number;
  /** A record line is complete; true when the caller should `await writer.flush()`. */
  recordEnd(): boolean;
  /** Whole lines made elsewhere; `release` once they are written. */
  appendLines(lines: Buffer, records: number, release?: () => void): boolean;
}

/**
 * Turns a stream into the output streams its maps make of it. A stream without a map gets null
 * from both methods and takes the writer's own path, untouched.
 */
export interface RecordMapper {
  /** Writes the SCHEMA of each output of a mapped stream and returns its record handle. */
  begin(writer: SingerWriter, start: StreamStart, count: RecordCounter): StreamOutput | null;
  /** The names ACTIVATE_VERSION of `stream` goes to (none when removed), or null when unmapped. */
  outputNames(stream: string): readonly string[] | null;
}

/**
 * Work on lines already buffered that must be done before any of their bytes is written or moved:
 * a stream map's md5 digits, made several at a time into holes its lines leave (src/maps/digests/).
 */
export interface WriteBarrier {
  settle(): void;
}

/**
 * Lines another thread is still making (a stream map's records on the map worker), held in their
 * place among the writer's lines: whatever is written after them goes out after them.
 */
export interface PendingLines {
  /** The lines, once made; asked when the writer writes them. Rejects with the run's failure. */
  lines(): Promise<Buffer>;
  /** Stdout has taken the lines (their buffer may be filled again). */
  release(): void;
}

/** RECORDs handed to the writer per stream so far; progress reporting reads it, never resets it. */
export interface RecordCounter {
  n: number;
}

export interface StreamStart {
  readonly stream: string;
  readonly schema: JsonSchema;
  readonly keyProperties: readonly string[];
  readonly bookmarkProperties: readonly string[];
  /** ACTIVATE_VERSION version stamped on every RECORD of this stream, when the stream uses it. */
  readonly version?: number;
}

/**
 * The one owner of stdout. Every message is one JSON object on one line. Records are buffered
 * into large chunks; when the consumer is slow the chunk's write() returns false and `flush()`
 * waits for 'drain', and since callers await `flush()` before reading more rows from PostgreSQL,
 * a slow target slows the tap instead of growing its memory.
 */
export class SingerWriter implements RecordSink {
  /** Finished pieces of the next chunk, in order (a line may span two), and lines still being made. */
  private parts: Array<Buffer | PendingLines> = [];
  /** Bytes in `parts`. */
  private sealed = 0;
  /** Lines are encoded into this buffer as they come, from `pos` on (ByteSink). */
  buf: Buffer = EMPTY;
  pos = 0;
  /** Where in `buf` the line being written starts (set by whoever starts a line). */
  lineStart = 0;
  private failure: Error | undefined;
  private lastState: string | undefined;
  /** Serialised value of the newest STATE not yet handed to stdout. */
  private unwrittenState: string | undefined;
  private readonly counters = new Map<string, RecordCounter>();
  private readonly chunkBytes: number;
  /** Size of the buffers lines are encoded into: a chunk, and room for the line that ends it. */
  private readonly bufferBytes: number;
  private readonly spares: Buffer[] = [];
  /** Whether a buffer may be filled again once `out` has called back for it. */
  private readonly reuse: boolean;
  /** The buffers freshBuffer made: only those become spares (appendRaw's belong to others). */
  private readonly own = new WeakSet<ArrayBufferLike>();
  /** appendRaw's `release` of the lines in `parts`. */
  private releases: Array<() => void> = [];
  private readonly onStateWritten: StateWrittenListener | undefined;
  private readonly batcher: Batcher | undefined;
  private readonly mapper: RecordMapper | undefined;
  private readonly barriers: WriteBarrier[] = [];

  constructor(
    private readonly out: Writable,
    private readonly serializeState: StateSerializer = JSON.stringify,
    opts: WriterOptions = {},
  ) {
    this.chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.bufferBytes = this.chunkBytes + 64 * 1024;
    // A stream on a file descriptor (stdout: a file, a pipe, a terminal), or one that says it
    // passes writes to one (OutputGate), has copied a chunk out of its buffer by the time it calls
    // back; any other Writable may still hold the very Buffer
    // (a PassThrough hands it on to its reader), so its buffers are never reused.
    const o = out as Writable & { fd?: unknown; copiesWrites?: boolean };
    this.reuse = typeof o.fd === 'number' || o.copiesWrites === true;
    this.onStateWritten = opts.onStateWritten;
    this.batcher = opts.batch && new Batcher(opts.batch, (line) => this.append(line));
    this.mapper = opts.mapper;
    out.on('error', (e: Error) => {
      this.failure = e;
    });
  }

  /** Sends SCHEMA and returns the handle through which the stream's records go. */
  beginStream(start: StreamStart): StreamOutput {
    if (this.mapper) {
      const mapped = this.mapper.begin(this, start, this.counter(start.stream));
      if (mapped) return mapped;
    }
    this.message({
      type: 'SCHEMA',
      stream: start.stream,
      schema: start.schema,
      key_properties: start.keyProperties,
      bookmark_properties: start.bookmarkProperties,
    });
    return new StreamOutput(this, start.stream, start.version, this.counter(start.stream));
  }

  /** Records of `stream` handed to the writer so far (a live counter, shared by its outputs). */
  counter(stream: string): RecordCounter {
    let c = this.counters.get(stream);
    if (!c) this.counters.set(stream, (c = { n: 0 }));
    return c;
  }

  /** `b.settle()` runs before buffered lines are written or moved (once however often added). */
  addBarrier(b: WriteBarrier): void {
    if (!this.barriers.includes(b)) this.barriers.push(b);
  }

  private settleBarriers(): void {
    for (const b of this.barriers) b.settle();
  }

  /** The sink a batched output of `stream` writes to; undefined without batch mode. */
  batchSink(stream: string): RecordSink | undefined {
    return this.batcher?.stream(stream);
  }

  /**
   * Writes everything, the run's end: every open batch file is completed and announced, and
   * the lines wait for no later flush.
   */
  async finish(): Promise<void> {
    if (this.batcher) {
      this.batcher.barrier();
      await this.batcher.settle(true);
    }
    await this.flush();
  }

  /** @internal the end of a batched copy (StreamOutput.endBatch). */
  endBatch(sink: RecordSink): void {
    this.batcher?.finish(sink);
  }

  activateVersion(stream: string, version: number): void {
    const names = this.mapper?.outputNames(stream);
    if (names) {
      for (const name of names) this.message({ type: 'ACTIVATE_VERSION', stream: name, version });
      return;
    }
    this.message({ type: 'ACTIVATE_VERSION', stream, version });
  }

  /** STATE goes after everything already buffered; an identical repeat is dropped. */
  state(value: unknown): void {
    this.stateJson(this.serializeState(value));
  }

  /** `state`, given the value already serialised. */
  stateJson(serialized: string): void {
    const line = `{"type":"STATE","value":${serialized}}\n`;
    if (line === this.lastState) return;
    this.lastState = line;
    this.batcher?.barrier();
    this.unwrittenState = serialized;
    this.append(line);
  }

  message(m: SingerMessage): void {
    // Records in batch files are read under the SCHEMA and version their BATCH message follows.
    if (this.batcher && (m.type === 'SCHEMA' || m.type === 'ACTIVATE_VERSION'))
      this.batcher.barrier(m.stream);
    this.append(`${JSON.stringify(m)}\n`);
  }

  /** @internal used by StreamOutput: one ready-made line. */
  append(line: string): void {
    // UTF-8 right away, line by line: joining many small strings at flush time (flattening each
    // record's concatenation) cost twice as much CPU (measured on narrow and wide tables).
    this.lineStart = this.pos;
    putString(this, line);
  }

  /** ByteSink: room for `bytes` more at `pos` (a fresh buffer when this one is full). */
  reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    // The unfinished line may have holes: filled before its bytes are copied.
    this.settleBarriers();
    // The unfinished line moves to the new buffer: every part then holds whole lines, which the
    // output gate relies on (src/cli/output-gate.ts) and lets flush write parts one by one.
    const old = this.buf;
    const from = this.lineStart;
    const end = this.pos;
    this.pos = from;
    this.seal();
    const next = this.freshBuffer(bytes + (end - from));
    if (end > from) old.copy(next, 0, from, end);
    this.buf = next;
    this.pos = end - from;
    this.lineStart = 0;
  }

  /**
   * A buffer of the usual size from the spares, or a new one. Why keep spares: a new 320 KB buffer
   * per chunk is fresh memory every time (page faults, external-memory GC pressure); two spares
   * cover the one being written while the next fills.
   */
  private freshBuffer(bytes: number): Buffer {
    const size = this.bufferBytes;
    if (bytes > size) return Buffer.allocUnsafeSlow(bytes);
    const spare = this.spares.pop();
    if (spare) return spare;
    const b = Buffer.allocUnsafeSlow(size);
    this.own.add(b.buffer);
    return b;
  }

  /** Once stdout has taken `parts`, their buffers of the usual size become spares. */
  private recycle(parts: readonly Buffer[]): void {
    for (const part of parts) {
      if (this.spares.length >= 2) return;
      if (part.byteOffset === 0 && this.own.has(part.buffer)) {
        this.spares.push(Buffer.from(part.buffer, 0, this.bufferBytes));
      }
    }
  }

  /**
   * @internal ready-made lines, already UTF-8 (records converted on another thread); `release` is
   * called once stdout has copied them (their buffer can then be reused), or never when the output
   * is not a file descriptor.
   */
  appendRaw(lines: Buffer, release?: () => void): void {
    this.seal();
    this.lineStart = 0;
    this.parts.push(lines);
    this.sealed += lines.length;
    if (release) this.releases.push(release);
  }

  /**
   * @internal lines another thread is making, in their place after everything written so far;
   * their size counts toward `full` once told (`pendingGrew`).
   */
  appendPending(lines: PendingLines): void {
    this.seal();
    this.lineStart = 0;
    this.parts.push(lines);
  }

  /** @internal whether nothing was written after `lines` (more of its records may join it). */
  isLast(lines: PendingLines): boolean {
    return this.pos === 0 && this.parts[this.parts.length - 1] === lines;
  }

  /** @internal pending lines of about `bytes` more, not yet flushed: they count toward `full`. */
  pendingGrew(bytes: number): void {
    this.sealed += bytes;
  }

  /** True when the buffer is big enough (or batch files behind) that the caller should `await flush()`. */
  get full(): boolean {
    return this.sealed + this.pos >= this.chunkBytes || (this.batcher?.behind ?? false);
  }

  recordEnd(): boolean {
    return this.full;
  }

  appendLines(lines: Buffer, _records: number, release?: () => void): boolean {
    this.appendRaw(lines, release);
    return this.full;
  }

  /**
   * Writes what is buffered and waits while the consumer is behind. In batch mode, waits while
   * the batch files are behind; and while a buffered BATCH message names a file not yet durable,
   * writes nothing (a later flush, or `finish`, does) unless the buffer is full or `wait` (the
   * end of a copy: its STATE goes out now, not at some later flush).
   */
  async flush(wait = false): Promise<void> {
    if (this.failure) throw this.outputError();
    const full = this.sealed + this.pos >= this.chunkBytes;
    if (this.batcher && !(await this.batcher.settle(wait || full))) return;
    this.seal();
    if (this.parts.length === 0) return;
    this.settleBarriers();
    const taken = this.parts;
    const releases = this.releases;
    this.parts = [];
    this.releases = [];
    this.sealed = 0;
    // What follows goes into another buffer, never the rest of this one: then every buffer in
    // `parts` is free once stdout has taken the last of them.
    this.buf = EMPTY;
    this.lineStart = 0;
    // A chunk that carries a STATE is reported once stdout has taken it (its write callback).
    const state = this.onStateWritten ? this.unwrittenState : undefined;
    this.unwrittenState = undefined;
    const parts = taken.every(isBuffer) ? taken : await madeLines(taken, releases);
    if (parts.length === 0) return;
    let written: Promise<Error | null | undefined> | undefined;
    let settle: (e: Error | null | undefined) => void = () => {};
    if (state !== undefined) written = new Promise((resolve) => (settle = resolve));
    // Each part (whole lines, see reserve) is its own write(), in order: joining them (a new buffer
    // begins when a socket chunk's rows overshoot the chunk size, every other flush) copied a
    // quarter of a megabyte each time, 3% of a narrow FULL_TABLE's CPU (a profile).
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) this.out.write(parts[i]);
    const ok = this.out.write(parts[last], (e) => {
      if (!e && this.reuse) {
        this.recycle(parts);
        for (const release of releases) release();
      }
      settle(e);
    });
    if (!ok && !this.failure) {
      if ((await drainOrClose(this.out)) === 'close') this.failure ??= new Error('output closed');
    }
    if (written && !this.failure && !(await written) && !this.failure) this.onStateWritten!(state!);
    if (this.failure) throw this.outputError();
  }

  /** Moves what is encoded so far into `parts`; the rest of the buffer is used for what follows. */
  private seal(): void {
    if (this.pos === 0) return;
    this.parts.push(this.buf.subarray(0, this.pos));
    this.sealed += this.pos;
    this.buf = this.buf.subarray(this.pos);
    this.pos = 0;
  }

  private outputError(): RuntimeError {
    const code = (this.failure as NodeJS.ErrnoException).code;
    return new RuntimeError(
      `stdout closed${code ? ` (${code})` : ''}: the consumer of the tap's output stopped reading; nothing more was acknowledged`,
    );
  }
}

const isBuffer = (p: Buffer | PendingLines): p is Buffer => Buffer.isBuffer(p);

/**
 * `parts` with each PendingLines replaced by its lines (in order; empty ones left out), whose
 * release joins `releases`.
 */
async function madeLines(
  parts: ReadonlyArray<Buffer | PendingLines>,
  releases: Array<() => void>,
): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const p of parts) {
    if (isBuffer(p)) {
      out.push(p);
      continue;
    }
    const lines = await p.lines();
    releases.push(() => p.release());
    if (lines.length > 0) out.push(lines);
  }
  return out;
}

/**
 * Waits for 'drain' or the end of `out`, and removes its listeners either way (`events.once`
 * would leave the loser's listeners behind on every wait).
 */
function drainOrClose(out: Writable): Promise<'drain' | 'close'> {
  return new Promise((resolve) => {
    const settle = (how: 'drain' | 'close') => () => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', onClose);
      resolve(how);
    };
    const onDrain = settle('drain');
    const onClose = settle('close');
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', onClose);
  });
}

/** The constant start of a stream's RECORD lines, up to the record's first key. */
export function recordPrefix(stream: string): string {
  return `{"type":"RECORD","stream":${JSON.stringify(stream)},"record":{`;
}

/** The end of a RECORD line after the record's last value. */
export function recordSuffix(version: number | undefined, extractedAt: string): string {
  return `}${version === undefined ? '' : `,"version":${version}`},"time_extracted":"${extractedAt}"}\n`;
}

/** A stream's record output: the line's constant parts are built once per stream. */
export class StreamOutput {
  private readonly prefixBytes: Buffer;
  /** The end of every RECORD line: version and `time_extracted` (setExtractedAt). */
  protected suffixBytes = Buffer.alloc(0);
  private extractedAtMs = NaN;
  /** Where lines go: the writer, or batch files (then each line is the record object alone). */
  private readonly sink: RecordSink;

  constructor(
    protected readonly writer: SingerWriter,
    readonly stream: string,
    readonly version: number | undefined,
    protected readonly count: RecordCounter = { n: 0 },
    batch?: RecordSink,
  ) {
    this.sink = batch ?? writer;
    this.prefixBytes = Buffer.from(batch ? '{' : recordPrefix(stream));
    if (batch) this.suffixBytes = Buffer.from('}\n');
    else this.setExtractedAt(new Date());
  }

  /** True when records go to batch files: `recordLines` then takes record objects, one a line. */
  get batching(): boolean {
    return this.sink !== this.writer;
  }

  /**
   * This stream's records in BATCH mode (when the run has `batch_config`, else this output): the
   * same record objects, one a line, in batch files announced by BATCH messages.
   */
  batched(): StreamOutput {
    if (this.batching) return this;
    const sink = this.writer.batchSink(this.stream);
    return sink ? new StreamOutput(this.writer, this.stream, this.version, this.count, sink) : this;
  }

  /**
   * The end of a batched copy: its last file is completed and announced ahead of anything written
   * after (a LOG_BASED stream's changes must follow its copy's records).
   */
  endBatch(): void {
    if (this.batching) this.writer.endBatch(this.sink);
  }

  /** The same stream's output under another ACTIVATE_VERSION version (a LOG_BASED TRUNCATE). */
  withVersion(version: number): StreamOutput {
    return new StreamOutput(
      this.writer,
      this.stream,
      version,
      this.count,
      this.batching ? this.sink : undefined,
    );
  }

  /** `time_extracted` of the records that follow (set per fetched batch, not per row). */
  setExtractedAt(at: Date): void {
    // LOG_BASED calls this per record with its transaction's instant: compare before formatting.
    const ms = at.getTime();
    if (ms === this.extractedAtMs || this.batching) return;
    this.extractedAtMs = ms;
    this.suffixBytes = Buffer.from(recordSuffix(this.version, at.toISOString()));
  }

  /**
   * One RECORD whose body is already JSON: `"col":value,"col2":value2` (see src/values/). Returns
   * true when the caller should `await writer.flush()` before reading more.
   */
  record(body: string): boolean {
    this.count.n++;
    const w = this.sink;
    w.lineStart = w.pos;
    putBytes(w, this.prefixBytes);
    putString(w, body);
    putBytes(w, this.suffixBytes);
    return w.recordEnd();
  }

  /**
   * One RECORD whose body `body` encodes from byte ranges of `src` (src/values/row-body-encoder.ts)
   * straight into the output buffer. Returns true when the caller should `await writer.flush()`.
   */
  recordFromBytes(
    body: RowBodyEncoder,
    src: Buffer,
    fields: FieldRanges,
    /** More of the record after the row's columns (`,"_sdc_lsn":…`), already JSON. */
    bodyTail?: Buffer,
  ): boolean {
    this.count.n++;
    const w = this.sink;
    w.lineStart = w.pos;
    putBytes(w, this.prefixBytes);
    body.write(w, src, fields);
    if (bodyTail) putBytes(w, bodyTail);
    putBytes(w, this.suffixBytes);
    return w.recordEnd();
  }

  /**
   * What a thread that makes this stream's lines (a range-copy worker) needs to apply the stream's
   * maps itself, so that its lines are the output's (`recordLines` with `mapped`); undefined when
   * it sends source lines.
   */
  get threadMapping(): MappedStreamSetup | undefined {
    return undefined;
  }

  /**
   * `records` whole lines of this stream, already UTF-8 (built on another thread): RECORD lines,
   * or record objects when `batching`; `release` is called once they are written. `mapped`: the
   * thread applied the maps (`threadMapping`), and `records` counts the source's records.
   */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  recordLines(lines: Buffer, records: number, release?: () => void, mapped = false): boolean {
    this.count.n += records;
    return this.sink.appendLines(lines, records, release);
  }
}
