import {
  recordPrefix,
  StreamOutput,
  type RecordCounter,
  type RecordSink,
  type SingerWriter,
} from '../singer/writer';
import { GrowableSink, putBytes } from '../values/byte-sink';
import type { FieldRanges, RowBodyEncoder } from '../values/row-body-encoder';
import type { PyValue } from './expression';
import type { RecordStep } from './record-step';
import { putRange, RecordTransform } from './record-transform';
import { RecordView } from './record-view';
import type { StreamMap } from './stream-map';

const NEWLINE = 0x0a;
/** A record object's start in a batch file line (the line is the record alone). */
const OBJECT_START = Buffer.from('{');

/**
 * One output stream: its RECORD prefix and its stages (none: the record as it is). A stage after
 * the first reads the body the one before wrote into `scratch[i]`, through `views[i]`.
 */
export interface Output {
  /** The output stream's name. */
  readonly alias: string;
  readonly prefix: Buffer;
  readonly steps: readonly RecordStep[];
  readonly scratch: readonly GrowableSink[];
  readonly views: readonly RecordView[];
}

/** An output of `map`, its map's transform first (none for a pass-through) and then `extra`. */
export function outputOf(map: StreamMap, mapConfig: PyValue, extra: readonly RecordStep[]): Output {
  const steps = [...(map.passThrough ? [] : [new RecordTransform(map, mapConfig)]), ...extra];
  return {
    alias: map.alias,
    prefix: Buffer.from(recordPrefix(map.alias)),
    steps,
    scratch: steps.slice(1).map(() => new GrowableSink(16 * 1024)),
    views: steps.slice(1).map(() => new RecordView()),
  };
}

/**
 * The record handle of a mapped stream: each source record is scanned once (RecordView) and
 * written to every output its maps keep it in, each line `{"type":"RECORD","stream":<alias>,…}`.
 */
export class MappedStreamOutput extends StreamOutput {
  private readonly view = new RecordView();
  private readonly outputs: readonly Output[];
  private readonly scratch = new GrowableSink(16 * 1024);
  private readonly sourcePrefix: Buffer;

  constructor(
    writer: SingerWriter,
    stream: string,
    version: number | undefined,
    count: RecordCounter,
    private readonly makeOutputs: () => readonly Output[],
    /** BATCH mode: each output's batch files, in `outputs` order; absent for RECORD lines. */
    private readonly sinks?: readonly RecordSink[],
  ) {
    super(writer, stream, version, count);
    this.sourcePrefix = sinks ? OBJECT_START : Buffer.from(recordPrefix(stream));
    if (sinks) this.suffixBytes = Buffer.from('}\n');
    this.outputs = makeOutputs();
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
    );
  }

  override record(body: string): boolean {
    const b = Buffer.from(body);
    this.count.n++;
    this.view.load(b, 0, b.length);
    return this.writeAll(0, b.length, this.suffixBytes, 0, this.suffixBytes.length);
  }

  override recordFromBytes(
    body: RowBodyEncoder,
    src: Buffer,
    fields: FieldRanges,
    bodyTail?: Buffer,
  ): boolean {
    const s = this.scratch;
    s.pos = 0;
    this.count.n++;
    if (bodyTail) {
      body.write(s, src, fields);
      putBytes(s, bodyTail);
      this.view.load(s.buf, 0, s.pos);
    } else {
      body.write(s, src, fields, this.view.entries);
      this.view.written(s.buf, body);
    }
    return this.writeAll(0, s.pos, this.suffixBytes, 0, this.suffixBytes.length);
  }

  /**
   * Whole lines of the source stream (a parallel copy's workers): RECORD lines, or record objects
   * in BATCH mode; each one mapped.
   */
  override recordLines(lines: Buffer, records: number, release?: () => void): boolean {
    this.count.n += records;
    const skip = this.sourcePrefix.length;
    let full = false;
    let p = 0;
    while (p < lines.length) {
      const start = p + skip;
      const stop = this.view.load(lines, start, lines.length, true);
      let nl = lines.indexOf(NEWLINE, stop);
      if (nl < 0) nl = lines.length - 1;
      // The line's own end from its body's `}` on: version and time_extracted as the worker set them.
      full = this.writeAll(start, stop, lines, stop, nl + 1) || full;
      p = nl + 1;
    }
    release?.();
    return full;
  }

  /** Runs the record through every stage but the last's writing; false when one leaves it out. */
  private throughSteps(o: Output): boolean {
    const steps = o.steps;
    if (!steps[0]!.prepare(this.view)) return false;
    for (let i = 1; i < steps.length; i++) {
      const sink = o.scratch[i - 1]!;
      sink.pos = 0;
      steps[i - 1]!.writeBody(sink);
      const view = o.views[i - 1]!;
      view.load(sink.buf, 0, sink.pos);
      if (!steps[i]!.prepare(view)) return false;
    }
    return true;
  }

  /**
   * The record in `view` (body [start, end) of its buffer) to every output, then the line's end.
   * True when the caller should `await writer.flush()`.
   */
  private writeAll(
    start: number,
    end: number,
    suffix: Buffer,
    suffixStart: number,
    suffixEnd: number,
  ): boolean {
    const outputs = this.outputs;
    let full = false;
    for (let i = 0; i < outputs.length; i++) {
      const o = outputs[i]!;
      const w: RecordSink = this.sinks ? this.sinks[i]! : this.writer;
      const prefix = this.sinks ? OBJECT_START : o.prefix;
      const steps = o.steps;
      if (steps.length === 0) {
        w.lineStart = w.pos;
        putBytes(w, prefix);
        putRange(w, this.view.buf, start, end);
        putRange(w, suffix, suffixStart, suffixEnd);
      } else {
        if (!this.throughSteps(o)) continue;
        w.lineStart = w.pos;
        putBytes(w, prefix);
        steps[steps.length - 1]!.writeBody(w);
        putRange(w, suffix, suffixStart, suffixEnd);
      }
      full = w.recordEnd() || full;
    }
    return full || this.writer.full;
  }
}
