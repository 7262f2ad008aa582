import { RuntimeError } from '../errors';
import { putBytes, putString, type ByteSink } from '../values/byte-sink';
import { putRange, viewOf } from './byte-copy';
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
import { isTapProperty, SCOPE_NAMES, type StreamMap } from './stream-map';

export { putRange };

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
  /** Ops evaluated per record, in the map's order (the SDK evaluates them in that order). */
  readonly evaluate: ReadonlyArray<{
    readonly op: number;
    readonly result: number;
    /** The expression's names bound to the layout's entries (`Expression.evaluate`). */
    readonly bound: Int32Array;
  }>;
  /** The filter's names bound to the layout's entries. */
  readonly filterBound: Int32Array | null;
  /** The entry of `_sdc_deleted_at`, or -1. */
  readonly deletedAt: number;
  readonly steps: readonly OutputStep[];
  readonly keys: Buffer;
}

const QUOTE = Buffer.from('"');

const NULL_START = 0x6e; // n

/**
 * Each of `expr`'s scope names' entry in the view's layout, or -1 (asked by name), for the
 * expression of property `key` (null: the filter); `self` as `lookup` resolves it.
 */
function bind(expr: Expression, key: string | null, v: RecordView): Int32Array {
  return Int32Array.from(expr.scopeNames, (n) => {
    if (SCOPE_NAMES.has(n)) return -1;
    if (n === 'self' && key !== null && v.indexOf(key) >= 0) return v.indexOf(key);
    return v.indexOf(n);
  });
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
    // Beyond the safe integers a bigint converts to a double of magnitude 2^53 or more.
    const n = Number(value);
    if (Number.isSafeInteger(n)) putSafeInteger(sink, n);
    else putString(sink, value.toString());
    return;
  }
  putString(sink, pyToJson(value));
}

/** 10^k, exact, for k up to 16. */
const POWERS_OF_TEN = Array.from({ length: 17 }, (_, k) => 10 ** k);

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
  while (digits < 16 && n >= POWERS_OF_TEN[digits]!) digits++;
  let i = p + digits - 1;
  // Below 2^31 in 32-bit integer steps, cheaper than the doubles' division and floor.
  for (; n > 0x7fffffff; i--) {
    const q = Math.floor(n / 10);
    out[i] = 0x30 + (n - q * 10);
    n = q;
  }
  for (; i >= p; i--) {
    const q = (n / 10) | 0;
    out[i] = 0x30 + (n - q * 10);
    n = q;
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
  let i = 0;
  if (n >= 8) {
    // Four characters a store (the bytes in the word's big-endian order).
    const to = viewOf(out);
    for (; i + 4 <= n; i += 4, p += 4) {
      const a = s.charCodeAt(i);
      const b = s.charCodeAt(i + 1);
      const c = s.charCodeAt(i + 2);
      const d = s.charCodeAt(i + 3);
      if (!isPlainAscii(a) || !isPlainAscii(b) || !isPlainAscii(c) || !isPlainAscii(d)) {
        return false;
      }
      to.setInt32(p, (a << 24) | (b << 16) | (c << 8) | d);
    }
  }
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!isPlainAscii(c)) return false;
    out[p++] = c;
  }
  out[p++] = 0x22;
  sink.pos = p;
  return true;
}

/** A character JSON writes as itself, in one byte. */
function isPlainAscii(c: number): boolean {
  return c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c;
}

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
    deletedAt: -1,
    steps: [],
    keys: Buffer.alloc(0),
  };
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
    const deletion =
      plan.deletedAt >= 0 && view.buf[view.entries.valueStarts[plan.deletedAt]!] !== NULL_START;
    if (map.filter && !deletion && !pyTruthy(this.run(map.filter, null, plan.filterBound))) {
      return false;
    }
    const evaluate = plan.evaluate;
    for (let j = 0; j < evaluate.length; j++) {
      const { op, result, bound } = evaluate[j]!;
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
    const steps = this.plan.steps;
    const keys = this.plan.keys;
    const v = this.view;
    const e = v.entries;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      putRange(sink, keys, s.keyStart, s.keyEnd);
      if (s.runEnd >= 0) putRange(sink, v.buf, e.keyStarts[s.copy]!, e.valueEnds[s.runEnd]!);
      else if (s.copy >= 0) putRange(sink, v.buf, e.valueStarts[s.copy]!, e.valueEnds[s.copy]!);
      else putJson(sink, this.results[s.result]!);
    }
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
    const evaluate: Array<{ op: number; result: number; bound: Int32Array }> = [];
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
      evaluate.push({ op: j, result: evaluate.length, bound: bind(o.expr, o.key, v) });
      out.set(o.key, { copy: -1, result: evaluate.length - 1 });
    });
    if (!map.includeByDefault) {
      v.keys.forEach((k, i) => {
        if (isTapProperty(k) && !out.has(k)) out.set(k, { copy: i, result: -1 });
      });
    }
    const { steps, keys } = outputSteps([...out], v);
    return {
      evaluate,
      filterBound: map.filter ? bind(map.filter, null, v) : null,
      deletedAt: v.indexOf('_sdc_deleted_at'),
      steps,
      keys,
    };
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
