import type { RecordSink } from '../singer/writer';
import { GrowableSink } from '../values/byte-sink';
import type { FieldRanges, RowBodyEncoder } from '../values/row-body-encoder';
import { FALSE, UNKNOWN, type ByteForm, type ByteTest } from './byte-forms';
import { copyInto, viewOf } from './byte-copy';
import { mapPlan } from './map-plan';
import type { StreamMap } from './stream-map';

const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

/** `DirectRowMap.write`: the record was written. */
export const WRITTEN = 1;
/** `DirectRowMap.write`: the filter left the record out; nothing was written. */
export const LEFT_OUT = 0;
/** `DirectRowMap.write`: a value needs the general evaluation; nothing was written. */
export const GENERAL = -1;

/**
 * A custom map applied while a row is encoded, for the maps whose every expression has a byte form
 * and whose filter (if any) a byte test: the common privacy and cleanup maps (hash, case, int,
 * rename, drop, filter on a number). The general path encodes the whole source record, then copies
 * it piece by piece into the output record; here each column the output passes on is encoded
 * straight into its place in the output line, and only the columns that expressions read are
 * encoded first, into scratch, for their forms to read. What a mapped row costs beyond an unmapped
 * one fell to about 40% of the general path's (docs/performance.md). A row one of whose values a
 * form does not take goes to the general path whole (`GENERAL`), so unusual values and errors keep
 * that one implementation.
 */
export class DirectRowMap {
  private readonly scratch = new GrowableSink(1024);
  /** Per column read by a form or the filter, its value's range in `scratch` for this row. */
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly keysView: DataView;
  /**
   * The last buffers written to, read from scratch and ended with, and their DataViews: the same
   * for long stretches of records, so not looked up per record (`viewOf`'s search of its cache
   * three times a row cost about 50 ns a row of the bench map, 4%, in bench/row-map-micro).
   */
  private out: Buffer | null = null;
  private outView: DataView = EMPTY_VIEW;
  private scratchBuf: Buffer | null = null;
  private scratchView: DataView = EMPTY_VIEW;
  private suffix: Buffer | null = null;
  private suffixView: DataView = EMPTY_VIEW;

  private constructor(
    private readonly encoder: RowBodyEncoder,
    /**
     * Per output property, bytes [keyStarts[j], keyStarts[j + 1]) of `keys`: `"key":`, after a
     * comma unless it is the first, which the line's prefix comes before. One buffer for all, so
     * the pieces are copied through one DataView.
     */
    private readonly keys: Buffer,
    private readonly keyStarts: Int32Array,
    /** Per output property: the column whose value it is, or -1 (its form's result). */
    private readonly copies: Int32Array,
    /** Per output property: its form, or null (a copy). */
    private readonly forms: ReadonlyArray<ByteForm | null>,
    /** The columns encoded into scratch first, and which those are. */
    private readonly read: Int32Array,
    private readonly isRead: Uint8Array,
    private readonly filter: ByteTest | null,
    /** Every op's form, in the map's order. */
    private readonly checks: readonly ByteForm[],
  ) {
    this.starts = new Int32Array(encoder.columns);
    this.ends = new Int32Array(encoder.columns);
    this.keysView = viewOf(keys);
  }

  /** The direct form of `map` for rows `encoder` writes, or null when the map has none. */
  static of(map: StreamMap, encoder: RowBodyEncoder, prefix: Buffer): DirectRowMap | null {
    const names = encoder.names;
    // A deletion passes every filter and its failed expressions give null (RecordTransform):
    // the general path knows that rule.
    if (map.passThrough || names.includes('_sdc_deleted_at')) return null;
    const plan = mapPlan(map, names, true);
    if (plan.out.length === 0 || (map.filter && plan.filterTest === null)) return null;
    const checks: ByteForm[] = [];
    for (const e of plan.evaluate) {
      if (e.form === null) return null;
      checks.push(e.form);
    }
    const isRead = new Uint8Array(names.length);
    for (const f of checks) isRead[f.entry] = 1;
    if (plan.filterTest) isRead[plan.filterTest.entry] = 1;
    const read = Int32Array.from(names.keys()).filter((c) => isRead[c] === 1);
    const keys = plan.out.map(([k], j) =>
      Buffer.from(`${j === 0 ? '' : ','}${JSON.stringify(k)}:`),
    );
    keys[0] = Buffer.concat([prefix, keys[0]!]);
    const keyStarts = new Int32Array(keys.length + 1);
    keys.forEach((k, j) => (keyStarts[j + 1] = keyStarts[j]! + k.length));
    return new DirectRowMap(
      encoder,
      Buffer.concat(keys),
      keyStarts,
      Int32Array.from(plan.out, ([, v]) => v.copy),
      plan.out.map(([, v]) => (v.result >= 0 ? checks[v.result]! : null)),
      read,
      isRead,
      plan.filterTest,
      checks,
    );
  }

  /**
   * The row's output line into `w`: the prefix, the mapped body, `suffix`. WRITTEN, or LEFT_OUT
   * (the filter), or GENERAL: nothing written, the general path maps this row.
   */
  write(w: RecordSink, src: Buffer, fields: FieldRanges, suffix: Buffer): number {
    const enc = this.encoder;
    const sc = this.scratch;
    const starts = this.starts;
    const ends = this.ends;
    const read = this.read;
    const fs = fields.starts;
    const fe = fields.ends;
    sc.pos = 0;
    for (let k = 0; k < read.length; k++) {
      const c = read[k]!;
      const room = enc.valueRoom(fields, c);
      if (sc.pos + room > sc.buf.length) sc.reserve(room);
      starts[c] = sc.pos;
      sc.pos = enc.putValue(sc, sc.buf, sc.pos, src, fs[c]!, fe[c]!, c, 0);
      ends[c] = sc.pos;
    }
    const buf = sc.buf;
    const t = this.filter;
    if (t !== null) {
      const r = t.test(buf, starts[t.entry]!, ends[t.entry]!);
      if (r === FALSE) return LEFT_OUT;
      if (r === UNKNOWN) return GENERAL;
    }
    const checks = this.checks;
    for (let k = 0; k < checks.length; k++) {
      const f = checks[k]!;
      if (!f.takes(buf, starts[f.entry]!, ends[f.entry]!)) return GENERAL;
    }
    const copies = this.copies;
    const forms = this.forms;
    const isRead = this.isRead;
    // Room for the whole line, so that keys and values read into scratch are copied unchecked;
    // a column encoded here on the string path makes room for the rest itself.
    const keys = this.keys;
    const keyStarts = this.keyStarts;
    let room = keys.length + suffix.length;
    for (let j = 0; j < copies.length; j++) {
      const c = copies[j]!;
      if (c < 0) {
        const f = forms[j]!;
        room += f.maxBytes(ends[f.entry]! - starts[f.entry]!);
      } else room += isRead[c] === 1 ? ends[c]! - starts[c]! : enc.valueRoom(fields, c);
    }
    w.lineStart = w.pos;
    if (w.pos + room > w.buf.length) w.reserve(room);
    let out = w.buf;
    if (out !== this.out) {
      this.out = out;
      this.outView = viewOf(out);
    }
    let to = this.outView;
    let p = w.pos;
    const keysView = this.keysView;
    if (buf !== this.scratchBuf) {
      this.scratchBuf = buf;
      this.scratchView = viewOf(buf);
    }
    const from = this.scratchView;
    for (let j = 0; j < copies.length; j++) {
      p = copyInto(keysView, keys, keyStarts[j]!, keyStarts[j + 1]!, to, out, p);
      const c = copies[j]!;
      if (c < 0) {
        const f = forms[j]!;
        w.pos = p;
        f.write(w, buf, starts[f.entry]!, ends[f.entry]!);
        p = w.pos;
      } else if (isRead[c] === 1) {
        p = copyInto(from, buf, starts[c]!, ends[c]!, to, out, p);
        continue;
      } else {
        p = enc.putValue(w, out, p, src, fs[c]!, fe[c]!, c, room);
      }
      // A value of the string path may have moved the line to a new buffer (a form's room is
      // counted, but its write makes room itself all the same).
      if (w.buf !== out) {
        out = this.out = w.buf;
        to = this.outView = viewOf(out);
      }
    }
    if (suffix !== this.suffix) {
      this.suffix = suffix;
      this.suffixView = viewOf(suffix);
    }
    w.pos = copyInto(this.suffixView, suffix, 0, suffix.length, to, out, p);
    return WRITTEN;
  }
}
