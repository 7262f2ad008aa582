/**
 * A JSON parser that keeps every number as its source text. wal2json prints numeric columns as
 * bare JSON numbers (`12345678901234567890.123456789`); JSON.parse would turn them into doubles and
 * lose digits before the value converters ever saw them.
 */

/** A JSON number exactly as written in the document. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type LosslessJson =
  | null
  | boolean
  | string
  | JsonNumber
  | readonly LosslessJson[]
  | { readonly [key: string]: LosslessJson };

export class LosslessJsonError extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/** JSON strings may not hold raw control characters; JSON.parse then reports them. */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20) return true;
  return false;
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseDocument(): LosslessJson {
    const value = this.value();
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail('unexpected data after the JSON value');
    return value;
  }

  private value(): LosslessJson {
    this.skipWhitespace();
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        return this.number();
    }
  }

  private object(): { [key: string]: LosslessJson } {
    // A null-prototype object: a column named `__proto__` stays an ordinary key.
    const out = Object.create(null) as { [key: string]: LosslessJson };
    this.pos += 1;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos += 1;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a member name');
      const key = this.string();
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos += 1;
      out[key] = this.value();
      this.skipWhitespace();
      const c = this.text[this.pos];
      this.pos += 1;
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'", -1);
    }
  }

  private array(): LosslessJson[] {
    const out: LosslessJson[] = [];
    this.pos += 1;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos += 1;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipWhitespace();
      const c = this.text[this.pos];
      this.pos += 1;
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'", -1);
    }
  }

  /**
   * Finds the closing quote (one not behind an odd run of backslashes), then lets JSON.parse
   * unescape: it does strings exactly. Linear in the string's length, so a 1 MB TOAST value in a
   * message with many columns is scanned once.
   */
  private string(): string {
    const start = this.pos;
    let q = start;
    for (;;) {
      q = this.text.indexOf('"', q + 1);
      if (q < 0) this.fail('unterminated string');
      let backslashes = 0;
      while (this.text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes += 1;
      if (backslashes % 2 === 0) break;
    }
    this.pos = q + 1;
    const raw = this.text.slice(start + 1, q);
    if (!raw.includes('\\') && !hasControlCharacter(raw)) return raw;
    try {
      return JSON.parse(this.text.slice(start, q + 1)) as string;
    } catch {
      this.pos = start;
      this.fail('invalid string');
    }
  }

  private literal<T extends LosslessJson>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail('unexpected token');
    this.pos += word.length;
    return value;
  }

  private number(): JsonNumber {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m || m[0].length === 0) this.fail('unexpected token');
    this.pos += m[0].length;
    return new JsonNumber(m[0]);
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.exec(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  private fail(why: string, delta = 0): never {
    throw new LosslessJsonError(`invalid JSON at offset ${this.pos + delta}: ${why}`);
  }
}

export function parseLosslessJson(text: string): LosslessJson {
  return new Parser(text).parseDocument();
}
