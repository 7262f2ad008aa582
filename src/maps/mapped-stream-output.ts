import {
  recordPrefix,
  StreamOutput,
  type RecordCounter,
  type SingerWriter,
} from '../singer/writer';
import { GrowableSink, putBytes } from '../values/byte-sink';
import type { FieldRanges, RowBodyEncoder } from '../values/row-body-encoder';
import type { PyValue } from './expression';
import { putRange, RecordTransform } from './record-transform';
import { RecordView } from './record-view';
import type { StreamMap } from './stream-map';

const NEWLINE = 0x0a;

/** One output stream: its RECORD prefix, and its transform (none: the record as it is). */
interface Output {
  readonly prefix: Buffer;
  readonly transform: RecordTransform | null;
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
    private readonly maps: readonly StreamMap[],
    private readonly mapConfig: PyValue,
  ) {
    super(writer, stream, version, count);
    this.sourcePrefix = Buffer.from(recordPrefix(stream));
    this.outputs = maps.map((m) => ({
      prefix: Buffer.from(recordPrefix(m.alias)),
      transform: m.passThrough ? null : new RecordTransform(m, this.view, mapConfig),
    }));
  }

  override withVersion(version: number): StreamOutput {
    return new MappedStreamOutput(
      this.writer,
      this.stream,
      version,
      this.count,
      this.maps,
      this.mapConfig,
    );
  }

  override record(body: string): boolean {
    const b = Buffer.from(body);
    this.count.n++;
    this.view.load(b, 0, b.length);
    this.writeAll(0, b.length, this.suffixBytes, 0, this.suffixBytes.length);
    return this.writer.full;
  }

  override recordFromBytes(
    body: RowBodyEncoder,
    src: Buffer,
    fields: FieldRanges,
    bodyTail?: Buffer,
  ): boolean {
    const s = this.scratch;
    s.pos = 0;
    body.write(s, src, fields);
    if (bodyTail) putBytes(s, bodyTail);
    this.count.n++;
    this.view.load(s.buf, 0, s.pos);
    this.writeAll(0, s.pos, this.suffixBytes, 0, this.suffixBytes.length);
    return this.writer.full;
  }

  /** Whole RECORD lines of the source stream (a parallel copy's workers): each one mapped. */
  override recordLines(lines: Buffer, records: number, release?: () => void): boolean {
    this.count.n += records;
    const skip = this.sourcePrefix.length;
    let p = 0;
    while (p < lines.length) {
      const start = p + skip;
      const stop = this.view.load(lines, start, lines.length, true);
      let nl = lines.indexOf(NEWLINE, stop);
      if (nl < 0) nl = lines.length - 1;
      // The line's own end from its body's `}` on: version and time_extracted as the worker set them.
      this.writeAll(start, stop, lines, stop, nl + 1);
      p = nl + 1;
    }
    release?.();
    return this.writer.full;
  }

  /** The record in `view` (body [start, end) of its buffer) to every output, then the line's end. */
  private writeAll(
    start: number,
    end: number,
    suffix: Buffer,
    suffixStart: number,
    suffixEnd: number,
  ): void {
    const w = this.writer;
    for (const o of this.outputs) {
      const t = o.transform;
      if (t && !t.prepare()) continue;
      w.lineStart = w.pos;
      putBytes(w, o.prefix);
      if (t) t.writeBody(w);
      else putRange(w, this.view.buf, start, end);
      putRange(w, suffix, suffixStart, suffixEnd);
    }
  }
}
