import { fieldText, NULL_FIELD, type FieldRanges } from '../values/row-body-encoder';

const TAB = 0x09;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const N = 0x4e;

/** A row's values as PostgreSQL's text, NULL as null. */
export type TextRow = ReadonlyArray<string | null>;

/** Told each row: its fields as byte ranges of `src` (valid only during the call). */
export type ByteRowHandler = (src: Buffer, fields: FieldRanges) => void;

/**
 * Streaming scanner of `COPY … TO STDOUT` text format (default delimiter tab, NULL `\N`), fed the
 * raw CopyData bytes in whatever pieces the socket delivers. It finds each row's fields as byte
 * ranges and converts nothing: the row body encoder (src/values/row-body-encoder.ts) copies them
 * straight into the output, and `fieldText` gives a field's text (COPY's backslash escapes undone)
 * when one is needed. A field's text is exactly what the query protocol returns for it in text
 * mode: both are the type's output function under the same session settings.
 *
 * Tabs and newlines inside values are always escaped, and neither byte occurs inside a multi-byte
 * UTF-8 sequence, so a byte scan finds every boundary. `onRow` gets the same ranges object every
 * time, overwritten for each row: read it synchronously, keep nothing.
 */
export class CopyRowScanner {
  private rest: Buffer | null = null;
  private readonly fields: FieldRanges;
  private rows = 0;
  /** The last row scanned as `lastSrc[lastStart, lastEnd)` (offsets, not a view: see pushRange). */
  private lastSrc: Buffer | null = null;
  private lastStart = 0;
  private lastEnd = 0;

  constructor(
    private readonly columns: number,
    private readonly onRow: ByteRowHandler,
  ) {
    if (columns < 1) throw new RangeError('COPY text needs at least one column');
    this.fields = { starts: new Int32Array(columns), ends: new Int32Array(columns) };
  }

  /** Rows scanned so far. */
  get rowCount(): number {
    return this.rows;
  }

  /** The texts of the last row scanned (for a resume point), or null before the first. */
  lastRowTexts(): TextRow | null {
    if (!this.lastSrc) return null;
    let texts: TextRow | null = null;
    new CopyRowScanner(this.columns, (src, fields) => (texts = rowTexts(src, fields))).push(
      this.lastSrc.subarray(this.lastStart, this.lastEnd),
    );
    return texts;
  }

  push(chunk: Buffer): void {
    this.pushRange(chunk, 0, chunk.length);
  }

  /** `buf[from, to)`: the payload of one CopyData message, read in place (see copy-out.ts). */
  pushRange(buf: Buffer, from: number, to: number): void {
    let data = buf;
    let lineStart = from;
    let len = to;
    if (this.rest) {
      data = Buffer.concat([this.rest, buf.subarray(from, to)]);
      lineStart = 0;
      len = data.length;
    }
    this.rest = null;
    const { starts, ends } = this.fields;
    const last = this.columns - 1;
    let lastRow = -1;
    let lastEnd = -1;
    while (lineStart < len) {
      let col = 0;
      starts[0] = lineStart;
      let i = lineStart;
      for (; i < len; i++) {
        const c = data[i]!;
        if (c > NEWLINE) continue; // most bytes: one comparison
        if (c === TAB) {
          if (col === last) throw this.shapeError(data, lineStart);
          closeField(data, starts, ends, col, i);
          col += 1;
          starts[col] = i + 1;
        } else if (c === NEWLINE) {
          break;
        }
      }
      if (i >= len) {
        // A copy, not a view: the tail is small, and a view would pin the whole chunk.
        this.rest = Buffer.from(data.subarray(lineStart, len));
        break;
      }
      if (col !== last) throw this.shapeError(data, lineStart);
      closeField(data, starts, ends, col, i);
      this.rows += 1;
      this.onRow(data, this.fields);
      lastRow = lineStart;
      lastEnd = i;
      lineStart = i + 1;
    }
    // Offsets into the chunk, not a copy nor even a view: this runs per CopyData message (one row
    // each), and a Buffer view per row was a measurable share of a narrow FULL_TABLE's allocations.
    // A socket chunk is never reused, and holding the last one costs at most its size.
    if (lastRow >= 0) {
      this.lastSrc = data;
      this.lastStart = lastRow;
      this.lastEnd = lastEnd + 1;
    }
  }

  /**
   * `buf[from, to)`: one CopyData message of PostgreSQL's COPY TO, which is always exactly one row
   * (the protocol's copy-out mode: "always one per row"), newline included. Finds the fields with
   * Buffer#indexOf, a native search: on the wide bench table it scanned twice as fast as the byte
   * loop of pushRange (a micro-benchmark on its COPY output), and no slower on the narrow one.
   * Anything else (a message that is not one whole row, a leftover) goes through pushRange.
   */
  pushRow(buf: Buffer, from: number, to: number): void {
    const last = to - 1;
    if (this.rest || last < from || buf[last] !== NEWLINE) return this.pushRange(buf, from, to);
    const { starts, ends } = this.fields;
    const lastCol = this.columns - 1;
    let a = from;
    for (let col = 0; col < lastCol; col++) {
      const t = buf.indexOf(TAB, a);
      // A tab past this row's end is the next row's: this one has too few fields.
      if (t < 0 || t >= last) throw this.shapeError(buf, from);
      starts[col] = a;
      closeField(buf, starts, ends, col, t);
      a = t + 1;
    }
    const extra = buf.indexOf(TAB, a);
    if (extra >= 0 && extra < last) throw this.shapeError(buf, from);
    starts[lastCol] = a;
    closeField(buf, starts, ends, lastCol, last);
    this.rows += 1;
    this.onRow(buf, this.fields);
    this.lastSrc = buf;
    this.lastStart = from;
    this.lastEnd = to;
  }

  /** The stream ended: anything left over is a truncated row. */
  end(): void {
    if (this.rest && this.rest.length > 0) {
      throw new Error(`COPY output ended inside a row (${this.rest.length} bytes without newline)`);
    }
  }

  private shapeError(data: Buffer, lineStart: number): Error {
    const eol = data.indexOf(NEWLINE, lineStart);
    const line = data.subarray(lineStart, eol < 0 ? data.length : eol);
    let got = 1;
    for (const b of line) if (b === TAB) got += 1;
    return new Error(`COPY row ${this.rows + 1} has ${got} fields, expected ${this.columns}`);
  }
}

/** Ends field `col` at `i`; `\N` (and only that: a literal backslash is written `\\`) is NULL. */
function closeField(data: Buffer, starts: Int32Array, ends: Int32Array, col: number, i: number) {
  ends[col] = i;
  if (i - starts[col]! === 2 && data[i - 2] === BACKSLASH && data[i - 1] === N) {
    starts[col] = NULL_FIELD;
  }
}

/** A row's texts (COPY's escapes undone), for callers that want strings. */
export function rowTexts(src: Buffer, fields: FieldRanges): Array<string | null> {
  const out: Array<string | null> = [];
  for (let i = 0; i < fields.starts.length; i++) {
    const s = fields.starts[i]!;
    out.push(s === NULL_FIELD ? null : fieldText(src, s, fields.ends[i]!, 'copy'));
  }
  return out;
}
