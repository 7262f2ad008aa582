/**
 * Splits a RECORD body (`"key":value,"key2":value2`: the inside of the record's JSON object, as
 * the tap encodes it) into its top-level entries without decoding anything: each key and value is
 * a byte range of the buffer, so values a map passes on are copied exactly as they were encoded.
 */
export interface BodyEntries {
  /** Entries found; the arrays are reused from record to record and may be longer. */
  n: number;
  /** The key's JSON string, quotes included: [keyStarts[i], keyEnds[i]). */
  keyStarts: number[];
  keyEnds: number[];
  /** The value's JSON text: [valueStarts[i], valueEnds[i]). */
  valueStarts: number[];
  valueEnds: number[];
}

export function bodyEntries(): BodyEntries {
  return { n: 0, keyStarts: [], keyEnds: [], valueStarts: [], valueEnds: [] };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The index just past the JSON string that starts at `i` (a quote). */
function skipString(b: Buffer, i: number, end: number): number {
  for (let p = i + 1; p < end; p++) {
    const c = b[p]!;
    if (c === BACKSLASH) p++;
    else if (c === QUOTE) return p + 1;
  }
  throw new Error('RECORD body: unterminated string');
}

/**
 * The index just past the value starting at `i`: a string, an object or array (nested brackets and
 * strings skipped), or a literal / number (up to the next `,` or `}` at this level, or `end`).
 */
function skipValue(b: Buffer, i: number, end: number): number {
  const c = b[i]!;
  if (c === QUOTE) return skipString(b, i, end);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let p = i; p < end; p++) {
      const d = b[p]!;
      if (d === QUOTE) p = skipString(b, p, end) - 1;
      else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        if (--depth === 0) return p + 1;
      }
    }
    throw new Error('RECORD body: unterminated object or array');
  }
  let p = i;
  while (p < end) {
    const d = b[p]!;
    if (d === COMMA || d === CLOSE_BRACE) break;
    p++;
  }
  return p;
}

/**
 * Scans the body in [start, end) into `out`. With `stopAtBrace` the body ends at the first `}` at
 * the top level (a whole RECORD line: the body's end is not known beforehand); returns the index
 * where scanning stopped (`end`, or that brace).
 */
export function scanBody(
  b: Buffer,
  start: number,
  end: number,
  out: BodyEntries,
  stopAtBrace = false,
): number {
  let n = 0;
  let p = start;
  while (p < end) {
    const c = b[p]!;
    if (c === CLOSE_BRACE && stopAtBrace) break;
    if (c === COMMA) {
      p++;
      continue;
    }
    if (c !== QUOTE) throw new Error(`RECORD body: a key expected at byte ${p - start}`);
    const keyEnd = skipString(b, p, end);
    if (b[keyEnd] !== COLON) throw new Error(`RECORD body: ':' expected at byte ${keyEnd - start}`);
    const valueEnd = skipValue(b, keyEnd + 1, end);
    out.keyStarts[n] = p;
    out.keyEnds[n] = keyEnd;
    out.valueStarts[n] = keyEnd + 1;
    out.valueEnds[n] = valueEnd;
    n++;
    p = valueEnd;
  }
  out.n = n;
  return p;
}
