import { conversionError, type ConversionContext, type TextConverter } from './conversion-context';
import { readQuoted } from './quoted-text';
import { JSON_NULL, jsonString, type JsonFragment } from './json-fragment';

const CH_QUOTE = 0x22;
const CH_BACKSLASH = 0x5c;
const CH_COMMA = 0x2c;
const CH_EQUALS = 0x3d;
const CH_GT = 0x3e;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * A cursor over hstore's text format, `"k"=>"v", "k2"=>NULL`. hstore_out quotes every key and
 * value and backslash-escapes `"` and `\` inside them; unquoted tokens, which hstore_in also
 * accepts, are read too.
 */
class HstoreReader {
  pos = 0;
  constructor(
    private readonly t: string,
    private readonly ctx: ConversionContext,
  ) {}

  fail(why: string): never {
    throw conversionError(this.ctx, this.t, `hstore text: ${why}`);
  }

  skipSpace(): void {
    while (this.pos < this.t.length && isSpace(this.t.charCodeAt(this.pos))) this.pos++;
  }

  /** A key or value; `null` for an unquoted NULL. */
  token(allowNull: boolean): string | null {
    const t = this.t;
    if (t.charCodeAt(this.pos) === CH_QUOTE) return this.quoted();
    const start = this.pos;
    let hasEscape = false;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (isSpace(c) || c === CH_COMMA || c === CH_EQUALS) break;
      if (c === CH_BACKSLASH) {
        hasEscape = true;
        this.pos++;
      }
      this.pos++;
    }
    if (this.pos === start) this.fail('a key or value is missing');
    const raw = t.slice(start, this.pos);
    if (allowNull && raw.length === 4 && raw.toUpperCase() === 'NULL') return null;
    return hasEscape ? raw.replace(/\\(.)/gs, '$1') : raw;
  }

  quoted(): string {
    const q = readQuoted(this.t, this.pos);
    if (!q) return this.fail('unterminated quote');
    this.pos = q.end;
    return q.text;
  }
}

/** hstore → a JSON object of strings (null for NULL values); keys are unique in an hstore. */
export function hstoreConverter(ctx: ConversionContext): TextConverter {
  return (t) => {
    if (t === null) return JSON_NULL;
    const r = new HstoreReader(t, ctx);
    let out: JsonFragment = '{';
    let first = true;
    r.skipSpace();
    while (r.pos < t.length) {
      if (!first) {
        if (t.charCodeAt(r.pos) !== CH_COMMA) r.fail('expected `,`');
        r.pos++;
        r.skipSpace();
      }
      const key = r.token(false);
      r.skipSpace();
      if (t.charCodeAt(r.pos) !== CH_EQUALS || t.charCodeAt(r.pos + 1) !== CH_GT) {
        r.fail('expected `=>`');
      }
      r.pos += 2;
      r.skipSpace();
      const value = r.token(true);
      out += `${first ? '' : ','}${jsonString(key!)}:${value === null ? JSON_NULL : jsonString(value)}`;
      first = false;
      r.skipSpace();
    }
    return `${out}}`;
  };
}
