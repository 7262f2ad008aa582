import type { TextRow } from './cursor';

const NEWLINE = 0x0a;

/**
 * Streaming parser of `COPY … TO STDOUT` text format (default delimiter tab, NULL `\N`), fed the
 * raw CopyData bytes in whatever pieces the socket delivers. A field's text, once unescaped, is
 * exactly what the query protocol returns for it in text mode: both are the type's output
 * function under the same session settings; COPY only adds backslash escapes.
 *
 * Rows are decoded one chunk at a time: the bytes up to the chunk's last newline become one string
 * (a newline byte never occurs inside a multi-byte UTF-8 sequence, so the cut is always clean) and
 * fields are slices of it. `onRow` gets the same array every time, overwritten for each row: read
 * it synchronously, keep nothing, so a row costs no allocation beyond its field strings.
 */
export class CopyTextParser {
  private rest: Buffer | null = null;
  private readonly fields: Array<string | null>;
  private rows = 0;

  constructor(
    private readonly columns: number,
    private readonly onRow: (row: TextRow) => void,
  ) {
    if (columns < 1) throw new RangeError('COPY text needs at least one column');
    this.fields = new Array<string | null>(columns).fill(null);
  }

  /** Rows parsed so far. */
  get rowCount(): number {
    return this.rows;
  }

  push(chunk: Buffer): void {
    const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const end = data.lastIndexOf(NEWLINE);
    if (end === -1) {
      this.rest = data;
      return;
    }
    // A copy, not a view: the tail is small, and a view would pin the whole chunk.
    this.rest = end + 1 < data.length ? Buffer.from(data.subarray(end + 1)) : null;
    this.parseLines(data.toString('utf8', 0, end + 1));
  }

  /** The stream ended: anything left over is a truncated row. */
  end(): void {
    if (this.rest && this.rest.length > 0) {
      throw new Error(`COPY output ended inside a row (${this.rest.length} bytes without newline)`);
    }
  }

  private parseLines(text: string): void {
    const n = this.columns;
    const fields = this.fields;
    const last = n - 1;
    let pos = 0;
    const len = text.length;
    while (pos < len) {
      const eol = text.indexOf('\n', pos);
      for (let i = 0; i < last; i++) {
        const tab = text.indexOf('\t', pos);
        if (tab === -1 || tab > eol) throw this.shapeError(text, pos, eol);
        fields[i] = field(text, pos, tab);
        pos = tab + 1;
      }
      const tab = text.indexOf('\t', pos);
      if (tab !== -1 && tab < eol) throw this.shapeError(text, pos, eol);
      fields[last] = field(text, pos, eol);
      pos = eol + 1;
      this.rows += 1;
      this.onRow(fields);
    }
  }

  private shapeError(text: string, from: number, eol: number): Error {
    const start = text.lastIndexOf('\n', from - 1) + 1;
    const got = text.slice(start, eol).split('\t').length;
    return new Error(`COPY row ${this.rows + 1} has ${got} fields, expected ${this.columns}`);
  }
}

/** One field's text: `\N` is NULL; otherwise undo COPY's backslash escapes (rare: fast path). */
function field(text: string, from: number, to: number): string | null {
  if (to - from === 2 && text.charCodeAt(from) === 0x5c && text.charCodeAt(from + 1) === 0x4e) {
    return null;
  }
  const s = text.slice(from, to);
  return s.indexOf('\\') === -1 ? s : unescapeCopyText(s);
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
