import { JSON_NULL } from './json-fragment';
import type { TextConverter } from './conversion-context';

const CH_QUOTE = 0x22;
const CH_BACKSLASH = 0x5c;

/** JSON's insignificant whitespace: space, tab, line feed, carriage return. */
export function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * `text` without whitespace outside strings. A `json` column keeps its input verbatim, line
 * breaks included, and a raw line break would split the RECORD line; `jsonb` prints `", "` and
 * `": "`. Inside strings nothing changes: PostgreSQL rejects raw control characters there, so
 * the result is one line. The text is never parsed into values, so a 30-digit number or a
 * duplicate key reaches the target exactly as stored. Returns `text` itself when there is
 * nothing to remove.
 */
export function minifyJson(text: string): string {
  let out = '';
  let start = 0;
  let inString = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === CH_BACKSLASH) i++;
      else if (c === CH_QUOTE) inString = false;
    } else if (c === CH_QUOTE) {
      inString = true;
    } else if (isJsonWhitespace(c)) {
      out += text.slice(start, i);
      while (i + 1 < n && isJsonWhitespace(text.charCodeAt(i + 1))) i++;
      start = i + 1;
    }
  }
  if (start === 0) return text;
  return out + text.slice(start);
}

/**
 * json, jsonb → the document itself. PostgreSQL validated it on input, so it is spliced, not
 * re-parsed (JSON.parse would round big numbers through doubles).
 */
export function jsonConverter(): TextConverter {
  return (t) => (t === null ? JSON_NULL : minifyJson(t));
}
