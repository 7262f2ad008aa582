/**
 * A double-quoted element of PostgreSQL's array and hstore output, where a backslash escapes the
 * next character. Shared by both parsers; `pos` is the opening quote.
 * @returns the unescaped text and the position after the closing quote, or null if unterminated.
 */
export function readQuoted(t: string, pos: number): { text: string; end: number } | null {
  const start = pos + 1;
  let i = start;
  let out = '';
  let segment = start;
  while (i < t.length) {
    const c = t.charCodeAt(i);
    if (c === 0x22) {
      return {
        text: segment === start ? t.slice(start, i) : out + t.slice(segment, i),
        end: i + 1,
      };
    }
    if (c === 0x5c) {
      out += t.slice(segment, i);
      segment = i + 1;
      i += 2;
    } else {
      i++;
    }
  }
  return null;
}
