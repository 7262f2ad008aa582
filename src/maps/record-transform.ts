import { RuntimeError } from '../errors';
import { putBytes, putString, type ByteSink } from '../values/byte-sink';
import {
  ExpressionEvalError,
  pyToJson,
  pyTruthy,
  type Expression,
  type ExpressionScope,
  type PyValue,
} from './expression';
import type { RecordStep } from './record-step';
import { RecordView } from './record-view';
import type { Schema } from './schema-types';
import { isTapProperty, type StreamMap } from './stream-map';

/**
 * One property of the output record: its `"key":`, then a source value copied or an op's result;
 * or a run of source entries copied whole, keys and commas included (properties the map keeps
 * as they are, in their order: one copy instead of one per key and value).
 */
interface OutputStep {
  /** `"key":`, after a comma unless it is the first; only the comma (or nothing) for a run. */
  readonly keyBytes: Buffer;
  /** Entry index of the source value copied as it is (the run's first entry), or -1. */
  readonly copy: number;
  /** The run's last entry, or -1 when this is one value. */
  readonly runEnd: number;
  /** Index into the evaluated op results, or -1. */
  readonly result: number;
}

/** What one record layout (its keys in order) turns into for one map. */
interface LayoutPlan {
  /** Ops evaluated per record, in the map's order (the SDK evaluates them in that order). */
  readonly evaluate: ReadonlyArray<{ readonly op: number; readonly result: number }>;
  readonly steps: readonly OutputStep[];
}

const QUOTE = Buffer.from('"');

const NULL_START = 0x6e; // n

/** A record whose `_sdc_deleted_at` is set: a LOG_BASED deletion. */
function isDeletion(view: RecordView): boolean {
  const i = view.indexOf('_sdc_deleted_at');
  return i >= 0 && view.buf[view.entries.valueStarts[i]!] !== NULL_START;
}

/** Appends bytes [start, end) of `src`. */
export function putRange(sink: ByteSink, src: Buffer, start: number, end: number): void {
  const n = end - start;
  if (sink.pos + n > sink.buf.length) sink.reserve(n);
  const out = sink.buf;
  let p = sink.pos;
  if (n < 32) for (let i = start; i < end; i++) out[p++] = src[i]!;
  else p += src.copy(out, p, start, end);
  sink.pos = p;
}

/** Whether JSON writes `s` as its characters between quotes (nothing escaped, no lone surrogate). */
function isPlainString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** `pyToJson(value)` into `sink`; plain strings and ints without building the text twice. */
export function putJson(sink: ByteSink, value: PyValue): void {
  if (typeof value === 'string') {
    if (putAsciiString(sink, value)) return;
    if (isPlainString(value)) {
      putBytes(sink, QUOTE);
      putString(sink, value);
      putBytes(sink, QUOTE);
      return;
    }
  } else if (typeof value === 'bigint') {
    if (value >= -SAFE && value <= SAFE) putSafeInteger(sink, Number(value));
    else putString(sink, value.toString());
    return;
  }
  putString(sink, pyToJson(value));
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The digits of an integer of at most 16 digits, without a string (an int a map computes). */
function putSafeInteger(sink: ByteSink, n: number): void {
  if (sink.pos + 17 > sink.buf.length) sink.reserve(17);
  const out = sink.buf;
  let p = sink.pos;
  if (n < 0) {
    out[p++] = 0x2d;
    n = -n;
  }
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  for (let i = p + digits - 1; i >= p; i--) {
    out[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  sink.pos = p + digits;
}

/**
 * A string of printable ASCII in quotes, byte by byte (most mapped values: hashes, codes, names);
 * false, with nothing written, for any other string. Cheaper than a native UTF-8 write for the
 * short strings maps make.
 */
function putAsciiString(sink: ByteSink, s: string): boolean {
  const n = s.length;
  if (sink.pos + n + 2 > sink.buf.length) sink.reserve(n + 2);
  const out = sink.buf;
  let p = sink.pos;
  out[p++] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x80 || c === 0x22 || c === 0x5c) return false;
    out[p++] = c;
  }
  out[p++] = 0x22;
  sink.pos = p;
  return true;
}

/**
 * The per-record work of one custom map (the SDK's filter, then `transform_fn`): the output keeps
 * the dict operations' order (a copy of the record, or only its key properties with `__else__:
 * null`; an assigned key keeps its place, a new one goes last, a removed one goes), values the map
 * passes on or renames are copied as bytes, and only what expressions read is decoded.
 */
export class RecordTransform implements RecordStep {
  private planLayout = -1;
  private plan: LayoutPlan = { evaluate: [], steps: [] };
  private readonly results: PyValue[] = [];
  /** The property whose expression is being evaluated (`self`), or null for the filter. */
  private current: string | null = null;
  private readonly scope: ExpressionScope;

  /** The record being mapped (prepare's). */
  private view: RecordView;

  constructor(
    readonly map: StreamMap,
    private readonly mapConfig: PyValue,
  ) {
    this.view = new RecordView();
    this.scope = { lookup: (name) => this.lookup(name) };
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
    const map = this.map;
    // A LOG_BASED deletion carries only its key (the other columns are null): it passes every
    // filter and an expression that fails on it gives null, so the deletion reaches each output
    // instead of being dropped, or failing the run on the same change at every retry.
    const deletion = isDeletion(view);
    if (map.filter && !deletion && !pyTruthy(this.run(map.filter, null))) return false;
    if (this.planLayout !== this.view.layout) {
      this.plan = this.planFor();
      this.planLayout = this.view.layout;
    }
    const plan = this.plan;
    for (const { op, result } of plan.evaluate) {
      const o = map.ops[op]!;
      this.results[result] = deletion ? this.runOrNull(o.expr!, o.key) : this.run(o.expr!, o.key);
    }
    return plan.steps.length > 0;
  }

  private runOrNull(expr: Expression, key: string): PyValue {
    try {
      return this.run(expr, key);
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
    const steps = this.plan.steps;
    const v = this.view;
    const e = v.entries;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      putBytes(sink, s.keyBytes);
      if (s.runEnd >= 0) putRange(sink, v.buf, e.keyStarts[s.copy]!, e.valueEnds[s.runEnd]!);
      else if (s.copy >= 0) putRange(sink, v.buf, e.valueStarts[s.copy]!, e.valueEnds[s.copy]!);
      else putJson(sink, this.results[s.result]!);
    }
  }

  private run(expr: Expression, key: string | null): PyValue {
    this.current = key;
    try {
      return expr.evaluate(this.scope);
    } catch (e) {
      if (!(e instanceof ExpressionEvalError)) throw e;
      throw new RuntimeError(
        `stream map of stream '${this.map.alias}' (source stream '${this.map.streamName}'), ${key === null ? '__filter__' : `property '${key}'`}: expression ${JSON.stringify(expr.text)} failed: ${e.message}`,
      );
    }
  }

  private planFor(): LayoutPlan {
    const map = this.map;
    const v = this.view;
    type From = { copy: number; result: number };
    const out = new Map<string, From>();
    if (map.includeByDefault) {
      v.keys.forEach((k, i) => out.set(k, { copy: i, result: -1 }));
    } else {
      for (const k of map.keyProperties) {
        const i = v.indexOf(k);
        if (i >= 0) out.set(k, { copy: i, result: -1 });
      }
    }
    const evaluate: Array<{ op: number; result: number }> = [];
    map.ops.forEach((o, j) => {
      if (o.expr === null) {
        out.delete(o.key);
        return;
      }
      const from = o.copyFrom === null ? -1 : v.indexOf(o.copyFrom);
      if (from >= 0) {
        out.set(o.key, { copy: from, result: -1 });
        return;
      }
      evaluate.push({ op: j, result: evaluate.length });
      out.set(o.key, { copy: -1, result: evaluate.length - 1 });
    });
    if (!map.includeByDefault) {
      v.keys.forEach((k, i) => {
        if (isTapProperty(k) && !out.has(k)) out.set(k, { copy: i, result: -1 });
      });
    }
    return { evaluate, steps: outputSteps([...out], v) };
  }
}

/**
 * The steps writing `out` (keys in output order, each with where its value comes from): runs of
 * source entries that keep their key (encoded the same) and follow each other in the source
 * become one copy.
 */
function outputSteps(
  out: ReadonlyArray<readonly [string, { copy: number; result: number }]>,
  v: RecordView,
): OutputStep[] {
  const e = v.entries;
  const keyJson = (k: string) => Buffer.from(JSON.stringify(k));
  const sameKey = (k: string, i: number) => {
    const want = keyJson(k);
    return want.equals(v.buf.subarray(e.keyStarts[i]!, e.keyEnds[i]!));
  };
  const steps: OutputStep[] = [];
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
      steps.push({ keyBytes: Buffer.from(comma), copy: f.copy, runEnd: last, result: -1 });
      continue;
    }
    steps.push({
      keyBytes: Buffer.from(`${comma}${JSON.stringify(k)}:`),
      copy: f.copy,
      runEnd: -1,
      result: f.result,
    });
  }
  return steps;
}
