import { RuntimeError } from '../errors';
import type { ByteSink } from '../values/byte-sink';
import { copyInto, viewOf } from './byte-copy';
import {
  ExpressionEvalError,
  pyTruthy,
  type Expression,
  type ExpressionScope,
  type PyValue,
} from './expression';
import { FALSE, UNKNOWN, type ByteForm, type ByteTest } from './byte-forms';
import { mapPlan, type MapPlan, type PlannedValue } from './map-plan';
import { putJson } from './put-json';
import type { RecordStep } from './record-step';
import { RecordView } from './record-view';
import type { Schema } from './schema-types';
import type { StreamMap } from './stream-map';

/**
 * One property of the output record: its `"key":`, then a source value copied or an op's result;
 * or a run of source entries copied whole, keys and commas included (properties the map keeps
 * as they are, in their order: one copy instead of one per key and value).
 */
interface OutputStep {
  /**
   * `"key":`, after a comma unless it is the first; only the comma (or nothing) for a run: bytes
   * [keyStart, keyEnd) of the plan's `keys` (one buffer for all, so copies read few buffers).
   */
  readonly keyStart: number;
  readonly keyEnd: number;
  /** Entry index of the source value copied as it is (the run's first entry), or -1. */
  readonly copy: number;
  /** The run's last entry, or -1 when this is one value. */
  readonly runEnd: number;
  /** Index into the evaluated op results, or -1. */
  readonly result: number;
}

/** What one record layout (its keys in order) turns into for one map. */
interface LayoutPlan {
  readonly evaluate: MapPlan['evaluate'];
  readonly filterBound: Int32Array | null;
  readonly filterTest: ByteTest | null;
  /** The entry of `_sdc_deleted_at`, or -1. */
  readonly deletedAt: number;
  readonly steps: readonly OutputStep[];
  readonly keys: Buffer;
  readonly keysView: DataView;
}

const NULL_START = 0x6e; // n

/**
 * The per-record work of one custom map (the SDK's filter, then `transform_fn`): the output keeps
 * the dict operations' order (a copy of the record, or only its key properties with `__else__:
 * null`; an assigned key keeps its place, a new one goes last, a removed one goes), values the map
 * passes on or renames are copied as bytes, and only what expressions read is decoded.
 */
export class RecordTransform implements RecordStep {
  private planLayout = -1;
  private plan: LayoutPlan = {
    evaluate: [],
    filterBound: null,
    filterTest: null,
    deletedAt: -1,
    steps: [],
    keys: Buffer.alloc(0),
    keysView: new DataView(new ArrayBuffer(0)),
  };
  private readonly results: PyValue[] = [];
  /** Per result, the byte form that gives it for this record, or null: `results` has it. */
  private formed: Array<ByteForm | null> = [];
  /** Per output step, the most bytes it writes for this record (a general-path value not counted). */
  private pieceBytes = new Int32Array(0);
  /** The property whose expression is being evaluated (`self`), or null for the filter. */
  private current: string | null = null;
  private readonly scope: ExpressionScope;

  /** The record being mapped (prepare's). */
  private view: RecordView;

  constructor(
    readonly map: StreamMap,
    private readonly mapConfig: PyValue,
    /** Off: every expression through the general evaluation (tests compare the two). */
    readonly byteForms = true,
  ) {
    this.view = new RecordView();
    this.scope = {
      lookup: (name) => this.lookup(name),
      entry: (i) => this.view.valueAt(i),
    };
  }

  /** A bare name, as the SDK's evaluation scope has it (the scope names shadow properties). */
  private lookup(name: string): PyValue | undefined {
    const v = this.view;
    switch (name) {
      case 'record':
      case '_':
        return v.dict();
      case 'config':
        return this.mapConfig;
      case '__stream_name__':
        return this.map.alias;
      case '__original_stream_name__':
        return this.map.streamName;
      case 'self':
        // The mapped property's own value when the record has it, else a property named so.
        return this.current !== null && v.indexOf(this.current) >= 0
          ? v.value(this.current)
          : v.value('self');
      default:
        return v.value(name);
    }
  }

  /**
   * Runs the filter and the expressions on the record in the view; false when the filter leaves it
   * out or the output record would be empty (the SDK emits no empty record). Then `writeBody`.
   */
  prepare(view: RecordView): boolean {
    if (view !== this.view) {
      this.view = view;
      this.planLayout = -1;
    }
    if (this.planLayout !== view.layout) {
      this.plan = this.planFor();
      this.planLayout = view.layout;
    }
    const map = this.map;
    const plan = this.plan;
    // A LOG_BASED deletion carries only its key (the other columns are null): it passes every
    // filter and an expression that fails on it gives null, so the deletion reaches each output
    // instead of being dropped, or failing the run on the same change at every retry.
    const buf = view.buf;
    const { valueStarts, valueEnds } = view.entries;
    const deletion = plan.deletedAt >= 0 && buf[valueStarts[plan.deletedAt]!] !== NULL_START;
    if (map.filter && !deletion) {
      const t = plan.filterTest;
      let r = t === null ? UNKNOWN : t.test(buf, valueStarts[t.entry]!, valueEnds[t.entry]!);
      if (r === UNKNOWN) r = pyTruthy(this.run(map.filter, null, plan.filterBound)) ? 1 : FALSE;
      if (r === FALSE) return false;
    }
    const evaluate = plan.evaluate;
    const formed = this.formed;
    for (let j = 0; j < evaluate.length; j++) {
      const { op, result, bound, form } = evaluate[j]!;
      if (form !== null && form.takes(buf, valueStarts[form.entry]!, valueEnds[form.entry]!)) {
        formed[result] = form;
        continue;
      }
      formed[result] = null;
      const o = map.ops[op]!;
      this.results[result] = deletion
        ? this.runOrNull(o.expr!, o.key, bound)
        : this.run(o.expr!, o.key, bound);
    }
    return plan.steps.length > 0;
  }

  private runOrNull(expr: Expression, key: string, bound: Int32Array): PyValue {
    try {
      return this.run(expr, key, bound);
    } catch (e) {
      if (e instanceof RuntimeError) return null;
      throw e;
    }
  }

  /** The map's SCHEMA was made with the map (customStreamMap). */
  schema(before: Schema): Schema {
    return before;
  }

  /** The output body of the record `prepare` accepted, into `sink`. */
  writeBody(sink: ByteSink): void {
    const plan = this.plan;
    const steps = plan.steps;
    const keys = plan.keys;
    const v = this.view;
    const src = v.buf;
    const e = v.entries;
    const formed = this.formed;
    // Room for the whole record, exactly what its keys, copies and forms write (a value of the
    // general path makes room itself), so its pieces are copied with no check each.
    const pieces = this.pieceBytes;
    let room = 0;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      let n = s.keyEnd - s.keyStart;
      if (s.runEnd >= 0) n += e.valueEnds[s.runEnd]! - e.keyStarts[s.copy]!;
      else if (s.copy >= 0) n += e.valueEnds[s.copy]! - e.valueStarts[s.copy]!;
      else {
        const form = formed[s.result]!;
        if (form !== null)
          n += form.maxBytes(e.valueEnds[form.entry]! - e.valueStarts[form.entry]!);
      }
      pieces[i] = n;
      room += n;
    }
    if (sink.pos + room > sink.buf.length) sink.reserve(room);
    let out = sink.buf;
    let to = viewOf(out);
    let p = sink.pos;
    const from = viewOf(src);
    const keysView = plan.keysView;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      room -= pieces[i]!;
      p = copyInto(keysView, keys, s.keyStart, s.keyEnd, to, out, p);
      if (s.runEnd >= 0) {
        p = copyInto(from, src, e.keyStarts[s.copy]!, e.valueEnds[s.runEnd]!, to, out, p);
      } else if (s.copy >= 0) {
        p = copyInto(from, src, e.valueStarts[s.copy]!, e.valueEnds[s.copy]!, to, out, p);
      } else {
        sink.pos = p;
        const form = formed[s.result]!;
        if (form !== null) {
          form.write(sink, src, e.valueStarts[form.entry]!, e.valueEnds[form.entry]!);
        } else {
          putJson(sink, this.results[s.result]!);
          // Room again for the pieces after it (it may have filled the buffer, or moved on).
          if (sink.pos + room > sink.buf.length) sink.reserve(room);
          if (sink.buf !== out) {
            out = sink.buf;
            to = viewOf(out);
          }
        }
        p = sink.pos;
      }
    }
    sink.pos = p;
  }

  private run(expr: Expression, key: string | null, bound: Int32Array | null): PyValue {
    this.current = key;
    try {
      return expr.evaluate(this.scope, bound);
    } catch (e) {
      if (!(e instanceof ExpressionEvalError)) throw e;
      throw new RuntimeError(
        `stream map of stream '${this.map.alias}' (source stream '${this.map.streamName}'), ${key === null ? '__filter__' : `property '${key}'`}: expression ${JSON.stringify(expr.text)} failed: ${e.message}`,
      );
    }
  }

  private planFor(): LayoutPlan {
    const v = this.view;
    const { out, evaluate, filterBound, filterTest } = mapPlan(this.map, v.keys, this.byteForms);
    const { steps, keys } = outputSteps(out, v);
    this.formed = evaluate.map(() => null);
    if (this.pieceBytes.length < steps.length) this.pieceBytes = new Int32Array(steps.length);
    return {
      evaluate,
      filterBound,
      filterTest,
      deletedAt: v.indexOf('_sdc_deleted_at'),
      steps,
      keys,
      keysView: new DataView(keys.buffer, keys.byteOffset, keys.byteLength),
    };
  }
}

/**
 * The steps writing `out` (keys in output order, each with where its value comes from): runs of
 * source entries that keep their key (encoded the same) and follow each other in the source
 * become one copy.
 */
function outputSteps(
  out: ReadonlyArray<readonly [string, PlannedValue]>,
  v: RecordView,
): { steps: OutputStep[]; keys: Buffer } {
  const e = v.entries;
  const keyJson = (k: string) => Buffer.from(JSON.stringify(k));
  const sameKey = (k: string, i: number) => {
    const want = keyJson(k);
    return want.equals(v.buf.subarray(e.keyStarts[i]!, e.keyEnds[i]!));
  };
  const steps: OutputStep[] = [];
  const keys: Buffer[] = [];
  let keysLength = 0;
  const step = (key: string, copy: number, runEnd: number, result: number): OutputStep => {
    const b = Buffer.from(key);
    keys.push(b);
    keysLength += b.length;
    return { keyStart: keysLength - b.length, keyEnd: keysLength, copy, runEnd, result };
  };
  for (let j = 0; j < out.length; j++) {
    const [k, f] = out[j]!;
    const comma = j === 0 ? '' : ',';
    if (f.copy >= 0 && sameKey(k, f.copy)) {
      let last = f.copy;
      while (j + 1 < out.length) {
        const [nk, nf] = out[j + 1]!;
        if (nf.copy !== last + 1 || !sameKey(nk, nf.copy)) break;
        last++;
        j++;
      }
      steps.push(step(comma, f.copy, last, -1));
      continue;
    }
    steps.push(step(`${comma}${JSON.stringify(k)}:`, f.copy, -1, f.result));
  }
  return { steps, keys: Buffer.concat(keys) };
}
