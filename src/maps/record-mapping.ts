import type { RecordSink } from '../singer/writer';
import { GrowableSink, putBytes } from '../values/byte-sink';
import type { FieldRanges, RowBodyEncoder } from '../values/row-body-encoder';
import type { PyValue } from './expression';
import type { RecordStep } from './record-step';
import { putRange } from './byte-copy';
import { RecordTransform } from './record-transform';
import type { Md5Lanes } from './digests/md5-lanes';
import { DirectRowMap, LEFT_OUT, WRITTEN } from './direct-row-map';
import { RecordView } from './record-view';
import type { StreamMap } from './stream-map';
import { readIndexed } from './worker/record-index';

const NEWLINE = 0x0a;

/**
 * One output stream: its RECORD prefix and its stages (none: the record as it is). A stage after
 * the first reads the body the one before wrote into `scratch[i]`, through `views[i]`.
 */
export interface Output {
  /** The output stream's name. */
  readonly alias: string;
  readonly steps: readonly RecordStep[];
  readonly scratch: readonly GrowableSink[];
  readonly views: readonly RecordView[];
}

/** An output of `map`, its map's transform first (none for a pass-through) and then `extra`. */
export function outputOf(map: StreamMap, mapConfig: PyValue, extra: readonly RecordStep[]): Output {
  const steps = [...(map.passThrough ? [] : [new RecordTransform(map, mapConfig)]), ...extra];
  return {
    alias: map.alias,
    steps,
    scratch: steps.slice(1).map(() => new GrowableSink(16 * 1024)),
    views: steps.slice(1).map(() => new RecordView()),
  };
}

/**
 * Where one output's lines go and how each starts: `{"type":"RECORD","stream":<alias>,"record":{`
 * into the writer, or `{` into the output's batch files.
 */
export interface OutputTarget {
  readonly sink: RecordSink;
  readonly prefix: Buffer;
}

/**
 * The per-record work of a mapped stream, wherever it runs (the main thread, or the map worker):
 * each source record is scanned once (`view`) and written to every output its maps keep it in.
 */
export class RecordMapping {
  readonly view = new RecordView();
  /** The encoder `direct` was made for, and the direct map of its rows (null: none). */
  private directEncoder: RowBodyEncoder | undefined;
  private direct: DirectRowMap | null = null;

  constructor(
    readonly outputs: readonly Output[],
    /** Per output, in `outputs` order. */
    private readonly targets: readonly OutputTarget[],
    /** Where a direct map's md5s are made, for a first target that settles them (DirectRowMap.of). */
    private readonly lanes: Md5Lanes | null = null,
  ) {}

  /**
   * Whole source lines `lines`, each `skip` bytes of line start before its record's first key,
   * mapped one by one; each output line ends as its source line does after the body (version and
   * time_extracted as they were set). True when a target asked to be flushed.
   */
  mapLines(lines: Buffer, skip: number): boolean {
    let full = false;
    let p = 0;
    while (p < lines.length) {
      const start = p + skip;
      const stop = this.view.load(lines, start, lines.length, true);
      let nl = lines.indexOf(NEWLINE, stop);
      if (nl < 0) nl = lines.length - 1;
      full = this.writeAll(start, stop, lines, stop, nl + 1) || full;
      p = nl + 1;
    }
    return full;
  }

  /**
   * One row: its source body encoded into `scratch` (`tail` after the row's columns, if any), then
   * mapped to every output, each line ending with `suffix`. True when a target asked to be flushed.
   */
  mapRow(
    scratch: GrowableSink,
    body: RowBodyEncoder,
    src: Buffer,
    fields: FieldRanges,
    tail: Buffer | null | undefined,
    suffix: Buffer,
  ): boolean {
    if (!tail) {
      if (body !== this.directEncoder) {
        this.directEncoder = body;
        this.direct = this.directMapOf(body);
      }
      const d = this.direct;
      if (d !== null) {
        const sink = this.targets[0]!.sink;
        const r = d.write(sink, src, fields, suffix);
        if (r === WRITTEN) return sink.recordEnd();
        if (r === LEFT_OUT) return false;
      }
    }
    scratch.pos = 0;
    const view = this.view;
    if (tail) {
      body.write(scratch, src, fields);
      putBytes(scratch, tail);
      view.load(scratch.buf, 0, scratch.pos);
    } else {
      // The encoder says where each entry is: nothing to scan.
      body.write(scratch, src, fields, view.entries);
      view.written(scratch.buf, body);
    }
    return this.writeAll(0, scratch.pos, suffix, 0, suffix.length);
  }

  /**
   * The map applied while rows of `encoder` are encoded (DirectRowMap), when there is one output
   * and its only stage is a map that has a direct form.
   */
  private directMapOf(encoder: RowBodyEncoder): DirectRowMap | null {
    if (this.outputs.length !== 1) return null;
    const steps = this.outputs[0]!.steps;
    const t = steps[0];
    return steps.length === 1 && t instanceof RecordTransform && t.byteForms
      ? DirectRowMap.of(t.map, encoder, this.targets[0]!.prefix, this.lanes)
      : null;
  }

  /**
   * Source record bodies one after the other in `bodies`, where `index` says their entries are
   * (RecordIndex, `columns` per record, the keys of every record those of the first, as one
   * encoder wrote them: `keysOf` names that encoder); every output line ends with `suffix`.
   */
  mapIndexed(
    bodies: Buffer,
    index: Int32Array,
    columns: number,
    keysOf: object,
    suffix: Buffer,
  ): boolean {
    const view = this.view;
    const e = view.entries;
    const records = index.length / (4 * columns);
    let full = false;
    for (let r = 0; r < records; r++) {
      readIndexed(index, r, columns, e);
      view.written(bodies, keysOf);
      const end = e.valueEnds[columns - 1]!;
      full = this.writeAll(e.keyStarts[0]!, end, suffix, 0, suffix.length) || full;
    }
    return full;
  }

  /**
   * The record in `view` (body [start, end) of its buffer) to every output, then the line's end.
   * True when a target asked to be flushed.
   */
  writeAll(
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
      const { sink: w, prefix } = this.targets[i]!;
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
}
