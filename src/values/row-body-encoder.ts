import {
  byteConverterFor,
  copyUnescape,
  numberArrayConverterFor,
  plainKindOf,
  type ByteConverter,
} from './byte-converters';
import type { BodyEntries } from '../maps/body-scanner';
import { objectAttributes } from '../types/resolved-type';
import { putString, type ByteSink } from './byte-sink';
import type { TextConverter } from './conversion-context';
import { converterFor, type ColumnToConvert } from './converter';
import { jsonString } from './json-fragment';
import { valueKindOf } from './value-kind';
import { DEFAULT_VALUE_POLICY, type ValuePolicy } from './value-policy';

/** A field whose start is this is SQL NULL. */
export const NULL_FIELD = -1;

/** How a source escapes its texts: COPY text format, or not at all (pgoutput, wal2json). */
export type FieldEscaping = 'copy' | 'raw';

/** One row's fields as byte ranges of `src`: field i is `src[starts[i], ends[i])`. */
export interface FieldRanges {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

/**
 * The byte-level twin of `recordBodyConverter`: one row's fields, as byte ranges of the buffer
 * PostgreSQL's output arrived in, become the RECORD body `"a":1,"b":"x"` written straight into a
 * ByteSink. No field becomes a JS string unless its text is outside the fast paths
 * (byte-converters.ts), where the column's string converter runs instead: the output is the same
 * either way, byte for byte.
 */
export class RowBodyEncoder {
  /** The columns' names, in order: the keys of every body it writes. */
  readonly names: readonly string[];
  private readonly keys: Buffer[];
  private readonly keyBytes: number;
  private readonly fast: (ByteConverter | undefined)[];
  private readonly slow: TextConverter[];

  constructor(
    columns: readonly ColumnToConvert[],
    private readonly escaping: FieldEscaping,
    policy: ValuePolicy = DEFAULT_VALUE_POLICY,
    onUnrepresentable?: (column: string, text: string) => void,
  ) {
    this.names = columns.map((c) => c.name);
    this.keys = columns.map((c, i) => Buffer.from(`${i === 0 ? '' : ','}${jsonString(c.name)}:`));
    this.keyBytes = this.keys.reduce((sum, k) => sum + k.length, 0);
    this.fast = columns.map((c) => {
      // A composite sent as an object is no string: only the string path parses its literal.
      if (objectAttributes(c.type.base, policy.compositeAsObject)) return undefined;
      const kind = valueKindOf(c.type.base);
      if (c.type.arrayDims === 0) return byteConverterFor(kind, escaping === 'copy');
      return c.type.arrayDims === 1 ? numberArrayConverterFor(kind) : undefined;
    });
    this.slow = columns.map((c) =>
      converterFor(
        c.type,
        policy,
        onUnrepresentable && ((text: string) => onUnrepresentable(c.name, text)),
      ),
    );
  }

  get columns(): number {
    return this.keys.length;
  }

  /**
   * How column `i`'s fast path writes a text it takes (byte-converters' PLAIN_*): a stream map
   * that reads the column may then read its field as sent instead of encoding it first.
   */
  plainKind(i: number): number {
    return plainKindOf(this.fast[i]);
  }

  /**
   * Writes the body of one row; `starts[i] === NULL_FIELD` is SQL NULL. With `entries`, each
   * entry's key and value positions in `sink.buf` too (what a stream map would otherwise scan the
   * body for): only for a sink that keeps what it holds when it grows (GrowableSink).
   */
  write(sink: ByteSink, src: Buffer, fields: FieldRanges, entries?: BodyEntries): void {
    const { starts, ends } = fields;
    const keys = this.keys;
    const n = keys.length;
    // Room for the whole row at once (the fast paths' bound per field), so the loop below works
    // on locals with no check per field; only a string-path value may need more.
    let room = this.keyBytes;
    for (let i = 0; i < n; i++) {
      room += this.valueRoom(fields, i);
    }
    if (sink.pos + room > sink.buf.length) sink.reserve(room);
    let out = sink.buf;
    let p = sink.pos;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      if (entries) {
        // The key without its comma and colon: `"name"`.
        entries.keyStarts[i] = i === 0 ? p : p + 1;
        entries.keyEnds[i] = p + key.length - 1;
        entries.valueStarts[i] = p + key.length;
      }
      for (let k = 0; k < key.length; k++) out[p++] = key[k]!;
      p = this.putValue(sink, out, p, src, starts[i]!, ends[i]!, i, room);
      out = sink.buf;
      if (entries) entries.valueEnds[i] = p;
    }
    if (entries) entries.n = n;
    sink.pos = p;
  }

  /** The most bytes column `i`'s value takes on the fast paths (the string path makes its own room). */
  valueRoom(fields: FieldRanges, i: number): number {
    const s = fields.starts[i]!;
    return s === NULL_FIELD ? 4 : (fields.ends[i]! - s) * 6 + 16;
  }

  /**
   * Field [s, e) of `src` (column `i`) as JSON, no key, at `p` of `out` (`sink.buf`, with
   * `valueRoom` reserved); returns the end. A string-path value goes through `sink` and may leave it
   * on a new buffer (with `roomAfter` reserved): callers read `sink.buf` again after each value.
   * Also for a stream map writing columns into its own record layout (DirectRowMap).
   */
  putValue(
    sink: ByteSink,
    out: Buffer,
    p: number,
    src: Buffer,
    s: number,
    e: number,
    i: number,
    roomAfter: number,
  ): number {
    if (s === NULL_FIELD) {
      out[p++] = 0x6e; // null
      out[p++] = 0x75;
      out[p++] = 0x6c;
      out[p++] = 0x6c;
      return p;
    }
    const fast = this.fast[i];
    const q = fast === undefined ? -1 : fast(out, p, src, s, e);
    if (q >= 0) return q;
    sink.pos = p;
    putString(sink, this.slow[i]!(fieldText(src, s, e, this.escaping)));
    if (sink.pos + roomAfter > sink.buf.length) sink.reserve(roomAfter);
    return sink.pos;
  }
}

/** A field's text as the query protocol would give it (COPY's escapes undone). */
export function fieldText(src: Buffer, s: number, e: number, escaping: FieldEscaping): string {
  const text = src.toString('utf8', s, e);
  return escaping === 'copy' && text.includes('\\') ? unescapeCopyText(text) : text;
}

/** A COPY TO field's text with its escapes undone (see `copyUnescape`). */
export function unescapeCopyText(s: string): string {
  let out = '';
  let from = 0;
  let i = s.indexOf('\\');
  while (i !== -1) {
    out += s.slice(from, i);
    if (i + 1 >= s.length) throw new Error('COPY text ends with a lone backslash');
    out += String.fromCharCode(copyUnescape(s.charCodeAt(i + 1)));
    from = i + 2;
    i = s.indexOf('\\', from);
  }
  return out + s.slice(from);
}
