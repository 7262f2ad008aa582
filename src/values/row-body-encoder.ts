import { byteConverterFor, numberArrayConverterFor, type ByteConverter } from './byte-converters';
import { putBytes, putString, type ByteSink } from './byte-sink';
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

const NULL_BYTES = Buffer.from('null');

/**
 * The byte-level twin of `recordBodyConverter`: one row's fields, as byte ranges of the buffer
 * PostgreSQL's output arrived in, become the RECORD body `"a":1,"b":"x"` written straight into a
 * ByteSink. No field becomes a JS string unless its text is outside the fast paths
 * (byte-converters.ts), where the column's string converter runs instead: the output is the same
 * either way, byte for byte.
 */
export class RowBodyEncoder {
  private readonly keys: Buffer[];
  private readonly fast: (ByteConverter | undefined)[];
  private readonly slow: TextConverter[];

  constructor(
    columns: readonly ColumnToConvert[],
    private readonly escaping: FieldEscaping,
    policy: ValuePolicy = DEFAULT_VALUE_POLICY,
    onUnrepresentable?: (column: string, text: string) => void,
  ) {
    this.keys = columns.map((c, i) => Buffer.from(`${i === 0 ? '' : ','}${jsonString(c.name)}:`));
    this.fast = columns.map((c) => {
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

  /** Writes the body of one row; `starts[i] === NULL_FIELD` is SQL NULL. */
  write(sink: ByteSink, src: Buffer, fields: FieldRanges): void {
    const { starts, ends } = fields;
    const n = this.keys.length;
    for (let i = 0; i < n; i++) {
      putBytes(sink, this.keys[i]!);
      const s = starts[i]!;
      if (s === NULL_FIELD) {
        putBytes(sink, NULL_BYTES);
        continue;
      }
      const e = ends[i]!;
      const fast = this.fast[i];
      if (fast !== undefined) {
        const room = (e - s) * 6 + 16;
        if (sink.pos + room > sink.buf.length) sink.reserve(room);
        const p = fast(sink.buf, sink.pos, src, s, e);
        if (p >= 0) {
          sink.pos = p;
          continue;
        }
      }
      putString(sink, this.slow[i]!(fieldText(src, s, e, this.escaping)));
    }
  }
}

/** A field's text as the query protocol would give it (COPY's escapes undone). */
export function fieldText(src: Buffer, s: number, e: number, escaping: FieldEscaping): string {
  const text = src.toString('utf8', s, e);
  return escaping === 'copy' && text.includes('\\') ? unescapeCopyText(text) : text;
}

const ESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/**
 * COPY TO writes `\\`, `\b \f \n \r \t \v` for those control characters and `\<delimiter>`
 * (any other escaped character stands for itself). The octal and hex forms COPY FROM also reads
 * are never written by COPY TO.
 */
export function unescapeCopyText(s: string): string {
  let out = '';
  let from = 0;
  let i = s.indexOf('\\');
  while (i !== -1) {
    out += s.slice(from, i);
    const c = s[i + 1];
    if (c === undefined) throw new Error('COPY text ends with a lone backslash');
    out += ESCAPES[c] ?? c;
    from = i + 2;
    i = s.indexOf('\\', from);
  }
  return out + s.slice(from);
}
