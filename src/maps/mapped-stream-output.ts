import {
  recordPrefix,
  StreamOutput,
  type RecordCounter,
  type RecordSink,
  type SingerWriter,
} from '../singer/writer';
import { GrowableSink, putBytes } from '../values/byte-sink';
import type { FieldRanges, RowBodyEncoder } from '../values/row-body-encoder';
import { Md5Lanes } from './digests/md5-lanes';
import { RecordMapping, type Output } from './record-mapping';
import type { MapWorker } from './worker/map-worker-client';
import type { MapWorkerUse } from './worker/map-worker-choice';
import { OffloadedLines } from './worker/offloaded-lines';
import { RecordIndex } from './worker/record-index';
import type { MappedStreamSetup } from './worker/protocol';

/** Each writer's md5 lanes, which it settles before it writes (null: none on this host). */
const LANES = new WeakMap<SingerWriter, Md5Lanes | null>();

function writerLanes(writer: SingerWriter): Md5Lanes | null {
  let lanes = LANES.get(writer);
  if (lanes === undefined) {
    lanes = Md5Lanes.create();
    if (lanes) writer.addBarrier(lanes);
    LANES.set(writer, lanes);
  }
  return lanes;
}

/** A record object's start in a batch file line (the line is the record alone). */
const OBJECT_START = Buffer.from('{');

/**
 * Source lines gathered before a job goes to the map worker: big enough that posting it costs
 * little per record, small against the writer's chunk so that a flush waits for at most about one.
 */
const JOB_BYTES = 64 * 1024;

/** How a mapped stream hands its records to the map worker (src/maps/worker/). */
export interface StreamOffload {
  /** The run's map worker, started on the first call. */
  worker(): MapWorker;
  readonly setup: MappedStreamSetup;
  /** When records go to the worker (null: none does). */
  readonly use: MapWorkerUse | null;
  /** Whether a parallel copy's range workers map their own lines (`threadMapping`). */
  readonly rangeWorkers: boolean;
}

/**
 * The record handle of a mapped stream: each source record is scanned once (RecordView) and
 * written to every output its maps keep it in, each line `{"type":"RECORD","stream":<alias>,…}`.
 * Copied rows (`recordFromBytes`) of a long copy go to the map worker in jobs once it is ready, so
 * the expressions run beside the reading; their lines keep their place in the output.
 */
export class MappedStreamOutput extends StreamOutput {
  private readonly mapping: RecordMapping;
  private readonly outputs: readonly Output[];
  private readonly scratch = new GrowableSink(16 * 1024);
  private readonly sourcePrefix: Buffer;
  /** The job gathering source lines for the worker, and where they gather. */
  private job: OffloadedLines | undefined;
  private jobSink: GrowableSink | undefined;
  /** This handle's stream in the worker (0: not opened yet). */
  private workerStream = 0;
  /** Where the open job's records' entries are (RecordIndex): the worker need not scan them. */
  private readonly jobIndex = new RecordIndex();
  /** What the open job's records are encoded by, and whether they are indexed. */
  private jobEncoder: RowBodyEncoder | undefined;
  private jobIndexed = false;
  /** Bumped whenever jobEncoder or jobIndexed changes. */
  private layout = 0;
  /** Records in the open job. */
  private jobRecords = 0;
  /** The end of every line of the open job (indexed jobs carry their records' bodies alone). */
  private jobSuffix: Buffer | undefined;

  constructor(
    writer: SingerWriter,
    stream: string,
    version: number | undefined,
    count: RecordCounter,
    private readonly makeOutputs: () => readonly Output[],
    /** BATCH mode: each output's batch files, in `outputs` order; absent for RECORD lines. */
    private readonly sinks?: readonly RecordSink[],
    /** RECORD lines only: how records may go to the map worker. */
    private readonly offload?: StreamOffload,
  ) {
    super(writer, stream, version, count);
    this.sourcePrefix = sinks ? OBJECT_START : Buffer.from(recordPrefix(stream));
    if (sinks) this.suffixBytes = Buffer.from('}\n');
    this.outputs = makeOutputs();
    this.mapping = new RecordMapping(
      this.outputs,
      this.outputs.map((o, i) => ({
        sink: sinks ? sinks[i]! : writer,
        prefix: sinks ? OBJECT_START : Buffer.from(recordPrefix(o.alias)),
      })),
      // RECORD lines: the writer fills the holes before it writes them. (Batch files are handed
      // on as they fill.)
      sinks ? null : writerLanes(writer),
    );
  }

  override get batching(): boolean {
    return this.sinks !== undefined;
  }

  /** BATCH mode: every output of the map writes its records to its own stream's batch files. */
  override batched(): StreamOutput {
    if (this.sinks) return this;
    const sinks: RecordSink[] = [];
    for (const o of this.outputs) {
      const sink = this.writer.batchSink(o.alias);
      if (!sink) return this;
      sinks.push(sink);
    }
    return new MappedStreamOutput(
      this.writer,
      this.stream,
      this.version,
      this.count,
      this.makeOutputs,
      sinks,
    );
  }

  override endBatch(): void {
    for (const sink of this.sinks ?? []) this.writer.endBatch(sink);
  }

  override setExtractedAt(at: Date): void {
    if (!this.sinks) super.setExtractedAt(at);
  }

  override withVersion(version: number): StreamOutput {
    return new MappedStreamOutput(
      this.writer,
      this.stream,
      version,
      this.count,
      this.makeOutputs,
      this.sinks,
      this.offload,
    );
  }

  override record(body: string): boolean {
    const b = Buffer.from(body);
    this.count.n++;
    this.mapping.view.load(b, 0, b.length);
    const full = this.mapping.writeAll(0, b.length, this.suffixBytes, 0, this.suffixBytes.length);
    return full || this.writer.full;
  }

  override recordFromBytes(
    body: RowBodyEncoder,
    src: Buffer,
    fields: FieldRanges,
    bodyTail?: Buffer,
  ): boolean {
    // An encoder of no columns gives no entry to index: the worker scans such lines.
    const indexed = bodyTail === undefined && body.columns > 0;
    let job = this.job;
    // The common case first: the open job takes the record as the one before.
    if (!(job && this.takes(job, body, indexed)))
      job = this.offload?.use ? this.offloadJob(this.offload, body, indexed) : undefined;
    if (job) {
      // The whole source line, as an unmapped stream would write it: the worker maps it.
      this.count.n++;
      const s = this.jobSink!;
      if (indexed) {
        // The body alone: the index says where it is, the job carries the line's end.
        const e = this.mapping.view.entries;
        body.write(s, src, fields, e);
        this.jobIndex.push(e);
      } else {
        putBytes(s, this.sourcePrefix);
        body.write(s, src, fields);
        if (bodyTail) putBytes(s, bodyTail);
        putBytes(s, this.suffixBytes);
      }
      this.jobRecords++;
      if (s.pos >= JOB_BYTES) this.submit(job);
      return this.writer.full;
    }
    this.count.n++;
    const full = this.mapping.mapRow(this.scratch, body, src, fields, bodyTail, this.suffixBytes);
    return full || this.writer.full;
  }

  override get threadMapping(): MappedStreamSetup | undefined {
    const o = this.offload;
    return this.sinks || !o?.rangeWorkers ? undefined : o.setup;
  }

  /**
   * Whole lines of the source stream (a parallel copy's workers): RECORD lines, or record objects
   * in BATCH mode; each one mapped here unless the worker did (`mapped`).
   */
  override recordLines(
    lines: Buffer,
    records: number,
    release?: () => void,
    mapped = false,
  ): boolean {
    this.count.n += records;
    if (mapped) return this.writer.appendLines(lines, records, release);
    const full = this.mapping.mapLines(lines, this.sourcePrefix.length);
    release?.();
    return full || this.writer.full;
  }

  /**
   * The job the next record joins, or undefined while records are still mapped here (the stream's
   * first `after` records, and until the worker is ready). A job takes records only while nothing
   * else was written after it, from one encoder, all indexed or none; else it goes to the worker
   * and the next record starts another.
   */
  private offloadJob(
    o: StreamOffload,
    encoder: RowBodyEncoder,
    indexed: boolean,
  ): OffloadedLines | undefined {
    const use = o.use;
    if (use === null || this.count.n < use.after) return undefined;
    const worker = o.worker();
    if (!worker.ready && use.waitForReady) return undefined;
    const job = this.job;
    if (job && !job.submitted) {
      if (this.takes(job, encoder, indexed)) return job;
      this.submit(job);
    }
    if (encoder !== this.jobEncoder || indexed !== this.jobIndexed) {
      this.layout++;
      this.jobEncoder = encoder;
      this.jobIndexed = indexed;
    }
    const suffix = (this.jobSuffix = this.suffixBytes);
    if (this.workerStream === 0) this.workerStream = worker.open(o.setup);
    const sink = (this.jobSink ??= new GrowableSink(JOB_BYTES + 32 * 1024));
    const index = this.jobIndex;
    const id = this.workerStream;
    const skip = this.sourcePrefix.length;
    const columns = indexed ? encoder.columns : 0;
    const layout = this.layout;
    const next = new OffloadedLines(
      () => {
        const records = this.jobRecords;
        this.jobRecords = 0;
        const lines = sink.take();
        const indexed = columns > 0 ? index.take() : undefined;
        return worker.map(
          id,
          { lines, skip, index: indexed, suffix, columns, layout, records },
          (back) => {
            sink.giveBack(back.input, 4);
            if (back.index) index.giveBack(back.index);
          },
        );
      },
      (lines) => worker.giveBack(lines.buffer as ArrayBuffer),
    );
    this.writer.appendPending(next);
    this.job = next;
    return next;
  }

  /**
   * Whether `job`, the open one, takes the next record: not sent yet, nothing written after it,
   * and its records are encoded alike (same encoder, all indexed or none, the same line end).
   */
  private takes(job: OffloadedLines, encoder: RowBodyEncoder, indexed: boolean): boolean {
    return (
      !job.submitted &&
      encoder === this.jobEncoder &&
      indexed === this.jobIndexed &&
      (!indexed || this.suffixBytes === this.jobSuffix) &&
      this.writer.isLast(job)
    );
  }

  /** Sends `job` to the worker ahead of the writer's flush; its size counts toward `full`. */
  private submit(job: OffloadedLines): void {
    this.writer.pendingGrew(this.jobSink!.pos);
    void job.submit();
  }
}
