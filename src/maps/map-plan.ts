import { byteFormOf, byteTestOf, type ByteForm, type ByteTest } from './byte-forms';
import type { Expression } from './expression';
import { isTapProperty, SCOPE_NAMES, type StreamMap } from './stream-map';

/** Where an output property's value comes from: a source entry copied as it is, or an op's result. */
export interface PlannedValue {
  /** The source entry copied, or -1. */
  readonly copy: number;
  /** Index into the evaluated results (`MapPlan.evaluate`), or -1. */
  readonly result: number;
}

/** One op evaluated per record. */
export interface PlannedOp {
  /** The op's index in the map's ops. */
  readonly op: number;
  readonly result: number;
  /** The expression's names bound to the layout's entries (`Expression.evaluate`). */
  readonly bound: Int32Array;
  /** The expression evaluated on its value's bytes, for the values that form takes. */
  readonly form: ByteForm | null;
}

/** What one custom map makes of records with given keys in a given order (a layout). */
export interface MapPlan {
  /** The output's properties in order, each with where its value comes from. */
  readonly out: ReadonlyArray<readonly [string, PlannedValue]>;
  /** Ops evaluated per record, in the map's order (the SDK evaluates them in that order). */
  readonly evaluate: readonly PlannedOp[];
  /** The filter's names bound to the layout's entries. */
  readonly filterBound: Int32Array | null;
  readonly filterTest: ByteTest | null;
}

/**
 * Each of `expr`'s scope names' entry in the layout, or -1 (asked by name), for the expression of
 * property `key` (null: the filter); `self` as the evaluation scope resolves it.
 */
function bind(expr: Expression, key: string | null, indexOf: (name: string) => number): Int32Array {
  return Int32Array.from(expr.scopeNames, (n) => {
    if (SCOPE_NAMES.has(n)) return -1;
    if (n === 'self' && key !== null && indexOf(key) >= 0) return indexOf(key);
    return indexOf(n);
  });
}

/**
 * The SDK's `transform_fn` as a plan for the layout `keys`: the output keeps the dict operations'
 * order (a copy of the record, or only its key properties with `__else__: null`; an assigned key
 * keeps its place, a new one goes last, a removed one goes). `byteForms` off: no op or filter gets
 * a byte form (tests compare the two).
 */
export function mapPlan(map: StreamMap, keys: readonly string[], byteForms: boolean): MapPlan {
  const index = new Map(keys.map((k, i) => [k, i]));
  const indexOf = (k: string) => index.get(k) ?? -1;
  const out = new Map<string, PlannedValue>();
  if (map.includeByDefault) {
    keys.forEach((k, i) => out.set(k, { copy: i, result: -1 }));
  } else {
    for (const k of map.keyProperties) {
      const i = indexOf(k);
      if (i >= 0) out.set(k, { copy: i, result: -1 });
    }
  }
  const evaluate: PlannedOp[] = [];
  map.ops.forEach((o, j) => {
    if (o.expr === null) {
      out.delete(o.key);
      return;
    }
    const from = o.copyFrom === null ? -1 : indexOf(o.copyFrom);
    if (from >= 0) {
      out.set(o.key, { copy: from, result: -1 });
      return;
    }
    const bound = bind(o.expr, o.key, indexOf);
    const form = byteForms ? byteFormOf(o.expr, bound) : null;
    evaluate.push({ op: j, result: evaluate.length, bound, form });
    out.set(o.key, { copy: -1, result: evaluate.length - 1 });
  });
  if (!map.includeByDefault) {
    keys.forEach((k, i) => {
      if (isTapProperty(k) && !out.has(k)) out.set(k, { copy: i, result: -1 });
    });
  }
  const filterBound = map.filter ? bind(map.filter, null, indexOf) : null;
  return {
    out: [...out],
    evaluate,
    filterBound,
    filterTest: map.filter && filterBound && byteForms ? byteTestOf(map.filter, filterBound) : null,
  };
}
