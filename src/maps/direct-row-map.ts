import { isUtf8 } from 'node:buffer';
import type { RecordSink } from '../singer/writer';
import { PLAIN_INTEGER, PLAIN_NUMBER, PLAIN_STRING } from '../values/byte-converters';
import { GrowableSink } from '../values/byte-sink';
import { NULL_FIELD, type FieldRanges, type RowBodyEncoder } from '../values/row-body-encoder';
import { FALSE, TEXT_ASCII, textKind, UNKNOWN, type ByteForm, type ByteTest } from './byte-forms';
import { copyInto, copyWhole, viewOf } from './byte-copy';
import { NUMBER, readNumber } from './json-number';
import { MAX_LANE_MESSAGE, type Md5Lanes } from './digests/md5-lanes';
import { mapPlan } from './map-plan';
import type { StreamMap } from './stream-map';

const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
const QUOTE = 0x22;

/** Where the forms read a column: its JSON, encoded into scratch first. */
const FROM_JSON = 0;
/** A string column's text as sent (ByteForm.textNeeds). */
const FROM_TEXT = 1;
/** A number column's text as sent: the same bytes as its JSON. */
const FROM_NUMBER = 2;

// How `write` makes each output property's value, decided once per map rather than found from
// several per-column arrays per property per row (about 160 instructions a row of the bench map).
// The copies' ways come first, the forms' from LANED on (`write` tells them apart so).
/** A column encoded here by its fast path. */
const ENCODE = 0;
/** A column encoded into scratch first (the filter or a form read it): copied from there. */
const FROM_SCRATCH = 1;
/** A number column read as sent: its text is its JSON. */
const SENT_NUMBER = 2;
/** The same for an integer column, whose fast path takes no fraction: encoded if it has one. */
const SENT_INTEGER = 3;
/** A string column read as sent: quoted, or encoded when its text is not ASCII. */
const SENT_TEXT = 4;
/** An md5 made in the lanes: a hole for its digits (or the form's write for a long text). */
const LANED = 5;
/** A form writing a text read as sent straight into the line. */
const PUT_TEXT = 6;
/** A form's write through the sink. */
const FORM = 7;

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
 * encoded first, into scratch, for their forms to read (unless the forms read their text as
 * PostgreSQL sent it: a string's for hashes and case, a number's for int and comparisons). What a
 * mapped row costs beyond an unmapped one fell to about 40% of the general path's
 * (docs/performance.md). A row one of whose values a form does not take goes to the general path
 * whole (`GENERAL`), so unusual values and errors keep that one implementation.
 */
export class DirectRowMap {
  private readonly scratch = new GrowableSink(1024);
  /** Per column read from its JSON by a form or the filter, its value's range in `scratch`. */
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  /** Per column read as text, this row's textKind. */
  private readonly kinds: Uint8Array;
  /** Per column read as a number, the number (as json-number's NUMBER). */
  private readonly negative: Uint8Array;
  private readonly coefficient: Float64Array;
  private readonly scale: Int32Array;
  private readonly keysView: DataView;
  /** The line's start with the first key (the RECORD prefix): `keys`' first piece. */
  private readonly firstKey: Buffer;
  private readonly firstKeyView: DataView;
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
  private srcBuf: Buffer | null = null;
  private srcView: DataView = EMPTY_VIEW;

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
    /** Per output property: how its value is made (ENCODE … FORM). */
    private readonly actions: Uint8Array,
    /** Per output property: its form, or null (a copy). */
    private readonly forms: ReadonlyArray<ByteForm | null>,
    /**
     * The line's room beyond `fixedRoom` (the keys' and the forms' constant parts) is the sum over
     * three lists of columns: each copy encoded here (its encoder's bound), each copy or form whose
     * value is read from its JSON in scratch (its size), each form whose value is read as sent
     * (its size; a form whose size does not depend on its value's is in none). Lists, not a pass
     * over the output's properties asking each how it reads: that pass was about 650 of a mapped
     * row's 8,800 instructions (bench map, callgrind).
     */
    private readonly fixedRoom: number,
    private readonly roomEncoded: Int32Array,
    private readonly roomScratch: Int32Array,
    private readonly roomSent: Int32Array,
    /** The columns encoded into scratch first. */
    private readonly read: Int32Array,
    /** The columns read as sent (FROM_TEXT, FROM_NUMBER), and how each column is read. */
    private readonly asSent: Int32Array,
    private readonly from: Uint8Array,
    /** Per column read as text: the textKind its forms take (the strictest of their textNeeds). */
    private readonly textNeeds: Uint8Array,
    private readonly filter: ByteTest | null,
    /** The forms whose `takes` runs per row: those reading JSON, and those reading numbers. */
    private readonly jsonChecks: readonly ByteForm[],
    private readonly numberChecks: readonly ByteForm[],
    /** Where the md5s of LANED properties are made. */
    private readonly lanes: Md5Lanes | null,
  ) {
    this.starts = new Int32Array(encoder.columns);
    this.ends = new Int32Array(encoder.columns);
    this.kinds = new Uint8Array(encoder.columns);
    this.negative = new Uint8Array(encoder.columns);
    this.coefficient = new Float64Array(encoder.columns);
    this.scale = new Int32Array(encoder.columns);
    this.keysView = viewOf(keys);
    this.firstKey = keys.subarray(0, keyStarts[1]);
    this.firstKeyView = viewOf(this.firstKey);
  }

  /**
   * The direct form of `map` for rows `encoder` writes, or null when the map has none. With
   * `lanes`, its md5s of short texts are left as holes those lanes fill: for a sink that settles
   * them before its bytes are written or moved (SingerWriter.addBarrier).
   */
  static of(
    map: StreamMap,
    encoder: RowBodyEncoder,
    prefix: Buffer,
    lanes: Md5Lanes | null = null,
  ): DirectRowMap | null {
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
    const test = plan.filterTest;
    if (test) isRead[test.entry] = 1;
    // A column read only by forms that can read it as sent is not encoded first, and is read once
    // for all of them: per row, an encoding into scratch and a scan of it (0.05 µs a column of the
    // bench map), and a scan or number read per form, which were each a call besides.
    const from = new Uint8Array(names.length);
    const textNeeds = new Uint8Array(names.length);
    const integers = new Uint8Array(names.length);
    for (let c = 0; c < names.length; c++) {
      if (isRead[c] !== 1) continue;
      const readers = checks.filter((f) => f.entry === c);
      const kind = encoder.plainKind(c);
      const filtered = test !== null && test.entry === c;
      const number = kind === PLAIN_NUMBER || kind === PLAIN_INTEGER;
      if (number && readers.every((f) => f.takesNumber !== undefined)) {
        if (!filtered || test.testNumber !== undefined) from[c] = FROM_NUMBER;
        integers[c] = kind === PLAIN_INTEGER ? 1 : 0;
      } else if (kind === PLAIN_STRING && !filtered && readers.every((f) => f.textNeeds)) {
        from[c] = FROM_TEXT;
        textNeeds[c] = Math.min(...readers.map((f) => f.textNeeds!));
      }
      if (from[c] !== FROM_JSON) isRead[c] = 0;
    }
    const forms = plan.out.map(([, v]) => (v.result >= 0 ? checks[v.result]! : null));
    const roomEncoded: number[] = [];
    const roomScratch: number[] = [];
    const roomSent: number[] = [];
    let formsRoom = 0;
    for (let j = 0; j < forms.length; j++) {
      const f = forms[j];
      if (!f) {
        const c = plan.out[j]![1].copy;
        (isRead[c] === 1 ? roomScratch : roomEncoded).push(c);
        continue;
      }
      const maxBytes = (n: number) =>
        from[f.entry] === FROM_TEXT ? f.maxTextBytes!(n) : f.maxBytes(n);
      const fixed = maxBytes(0);
      const perByte = maxBytes(1) - fixed;
      // Not a constant nor the size plus one: the general path, which asks per value.
      if ((perByte !== 0 && perByte !== 1) || maxBytes(1000) !== fixed + perByte * 1000) {
        return null;
      }
      if (perByte === 1) (from[f.entry] === FROM_JSON ? roomScratch : roomSent).push(f.entry);
      formsRoom += fixed;
    }
    const actions = Uint8Array.from(plan.out, ([, v], j) => {
      const f = forms[j];
      if (f) {
        if (lanes !== null && f.md5 === true) return LANED;
        return from[f.entry] === FROM_TEXT && f.putText !== undefined ? PUT_TEXT : FORM;
      }
      const c = v.copy;
      if (isRead[c] === 1) return FROM_SCRATCH;
      if (from[c] === FROM_NUMBER) return integers[c] === 1 ? SENT_INTEGER : SENT_NUMBER;
      return from[c] === FROM_TEXT ? SENT_TEXT : ENCODE;
    });
    const read = Int32Array.from(names.keys()).filter((c) => isRead[c] === 1);
    const asSent = Int32Array.from(names.keys()).filter((c) => from[c] !== FROM_JSON);
    const keys = plan.out.map(([k], j) =>
      Buffer.from(`${j === 0 ? '' : ','}${JSON.stringify(k)}:`),
    );
    keys[0] = Buffer.concat([prefix, keys[0]!]);
    const keyStarts = new Int32Array(keys.length + 1);
    keys.forEach((k, j) => (keyStarts[j + 1] = keyStarts[j]! + k.length));
    const allKeys = Buffer.concat(keys);
    return new DirectRowMap(
      encoder,
      allKeys,
      keyStarts,
      Int32Array.from(plan.out, ([, v]) => v.copy),
      actions,
      forms,
      allKeys.length + formsRoom,
      Int32Array.from(roomEncoded),
      Int32Array.from(roomScratch),
      Int32Array.from(roomSent),
      read,
      asSent,
      from,
      textNeeds,
      plan.filterTest,
      checks.filter((f) => from[f.entry] === FROM_JSON),
      checks.filter((f) => from[f.entry] === FROM_NUMBER),
      lanes,
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
    const from = this.from;
    // The columns read as sent, once for all their forms. None of those takes null (nor a value
    // they would read from its JSON): the general path gives the row.
    // The source's view, for reading a text as sent a word at a time (textKind, the forms).
    if (src !== this.srcBuf) {
      this.srcBuf = src;
      this.srcView = viewOf(src);
    }
    const srcView = this.srcView;
    const asSent = this.asSent;
    const negative = this.negative;
    const coefficient = this.coefficient;
    const scale = this.scale;
    for (let k = 0; k < asSent.length; k++) {
      const c = asSent[k]!;
      const s = fs[c]!;
      const e = fe[c]!;
      if (s === NULL_FIELD) return GENERAL;
      if (from[c] === FROM_TEXT) {
        const kind = textKind(src, srcView, s, e);
        this.kinds[c] = kind;
        if (kind !== TEXT_ASCII) {
          if (kind === 0 || this.textNeeds[c] === TEXT_ASCII) return GENERAL;
          if (!isUtf8(src.subarray(s, e))) return GENERAL;
        }
      } else {
        if (!readNumber(src, s, e)) return GENERAL;
        negative[c] = NUMBER.negative ? 1 : 0;
        coefficient[c] = NUMBER.coefficient;
        scale[c] = NUMBER.scale;
      }
    }
    const t = this.filter;
    if (t !== null) {
      const c = t.entry;
      const r =
        from[c] === FROM_JSON
          ? t.test(buf, starts[c]!, ends[c]!)
          : t.testNumber!(negative[c] === 1, coefficient[c]!, scale[c]!);
      if (r === FALSE) return LEFT_OUT;
      if (r === UNKNOWN) return GENERAL;
    }
    const jsonChecks = this.jsonChecks;
    for (let k = 0; k < jsonChecks.length; k++) {
      const f = jsonChecks[k]!;
      const c = f.entry;
      if (!f.takes(buf, starts[c]!, ends[c]!)) return GENERAL;
    }
    const numberChecks = this.numberChecks;
    for (let k = 0; k < numberChecks.length; k++) {
      const f = numberChecks[k]!;
      const c = f.entry;
      if (!f.takesNumber!(negative[c] === 1, coefficient[c]!, scale[c]!)) return GENERAL;
    }
    const copies = this.copies;
    const actions = this.actions;
    const forms = this.forms;
    // Room for the whole line, so that keys and values read into scratch are copied unchecked;
    // a column encoded here on the string path makes room for the rest itself.
    const keys = this.keys;
    const keyStarts = this.keyStarts;
    let room = this.fixedRoom + suffix.length;
    const roomEncoded = this.roomEncoded;
    for (let k = 0; k < roomEncoded.length; k++) room += enc.valueRoom(fields, roomEncoded[k]!);
    const roomScratch = this.roomScratch;
    for (let k = 0; k < roomScratch.length; k++) {
      const c = roomScratch[k]!;
      room += ends[c]! - starts[c]!;
    }
    // Not null (the check of the columns read as sent gave the general path a null).
    const roomSent = this.roomSent;
    for (let k = 0; k < roomSent.length; k++) {
      const c = roomSent[k]!;
      room += fe[c]! - fs[c]!;
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
    const scratchView = this.scratchView;
    for (let j = 0; j < copies.length; j++) {
      p =
        j === 0
          ? copyWhole(this.firstKeyView, this.firstKey, to, out, p)
          : copyInto(keysView, keys, keyStarts[j]!, keyStarts[j + 1]!, to, out, p);
      const a = actions[j]!;
      if (a >= LANED) {
        const f = forms[j]!;
        const e = f.entry;
        if (a === PUT_TEXT) {
          p = f.putText!(srcView, src, fs[e]!, fe[e]!, to, out, p);
          continue;
        }
        const how = from[e];
        if (a === LANED) {
          // The text is the string's JSON between its quotes (`takes` found no escape), or as sent.
          const text = how === FROM_TEXT ? src : buf;
          const ms = how === FROM_TEXT ? fs[e]! : starts[e]! + 1;
          const me = how === FROM_TEXT ? fe[e]! : ends[e]! - 1;
          if (me - ms <= MAX_LANE_MESSAGE) {
            // The form's 34 bytes, which the line's room counted: the digits come later.
            out[p] = QUOTE;
            const textView = how === FROM_TEXT ? srcView : scratchView;
            this.lanes!.put(text, textView, ms, me, to, p + 1);
            out[p + 33] = QUOTE;
            p += 34;
            continue;
          }
        }
        w.pos = p;
        if (how === FROM_JSON) f.write(w, buf, starts[e]!, ends[e]!);
        else if (how === FROM_TEXT) f.writeText!(w, src, fs[e]!, fe[e]!);
        else f.write(w, src, fs[e]!, fe[e]!);
        p = w.pos;
      } else {
        const c = copies[j]!;
        if (a === FROM_SCRATCH) {
          p = copyInto(scratchView, buf, starts[c]!, ends[c]!, to, out, p);
          continue;
        }
        // Passed on as well as read as sent: what the read found makes its JSON the text itself
        // (a number of the grammar readNumber takes; a text without escapes), so it is copied
        // instead of checked again by its fast path (a numeric's was about 390 instructions a
        // row of the bench map, the copy of a short one about 60).
        if (a === SENT_NUMBER || (a === SENT_INTEGER && scale[c] === 0)) {
          p = copyInto(srcView, src, fs[c]!, fe[c]!, to, out, p);
          continue;
        }
        if (a === SENT_TEXT && this.kinds[c] === TEXT_ASCII) {
          out[p] = QUOTE;
          p = copyInto(srcView, src, fs[c]!, fe[c]!, to, out, p + 1);
          out[p++] = QUOTE;
          continue;
        }
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
    w.pos = copyWhole(this.suffixView, suffix, to, out, p);
    return WRITTEN;
  }
}
