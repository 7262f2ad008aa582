import { conversionError, type ConversionContext, type TextConverter } from './conversion-context';
import { readQuoted } from './quoted-text';
import { JSON_NULL, type JsonFragment } from './json-fragment';

const CH_QUOTE = 0x22;
const CH_BACKSLASH = 0x5c;
const CH_LBRACE = 0x7b;
const CH_RBRACE = 0x7d;
const CH_LBRACKET = 0x5b;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/**
 * A cursor over an array literal as array_out prints it: `{1,NULL,3}`, `{{1,2},{3,4}}`,
 * `[0:1]={1,2}` when a lower bound is not 1, and elements double-quoted (with `\"` and `\\`)
 * when they are empty, contain the delimiter, braces, quotes, backslashes or white space, or
 * spell NULL. array_in's looser input (white space around elements, backslashes in unquoted
 * elements) is read too; it costs nothing on the printed form.
 */
class ArrayLiteralReader {
  pos = 0;
  constructor(
    private readonly t: string,
    private readonly delimiter: number,
    private readonly element: TextConverter,
    private readonly ctx: ConversionContext,
  ) {}

  fail(why: string): never {
    throw conversionError(this.ctx, this.t, `an array literal: ${why}`);
  }

  skipSpace(): void {
    while (this.pos < this.t.length && isSpace(this.t.charCodeAt(this.pos))) this.pos++;
  }

  /** The whole literal; the bounds decoration is dropped since JSON arrays start at 0. */
  read(): JsonFragment {
    const t = this.t;
    if (t.charCodeAt(0) === CH_LBRACKET) {
      const eq = t.indexOf('=');
      if (eq < 0) this.fail('`=` after the bounds');
      this.pos = eq + 1;
    }
    this.skipSpace();
    const out = this.level();
    this.skipSpace();
    if (this.pos !== t.length) this.fail('text after the closing brace');
    return out;
  }

  /** `{…}` at the cursor, nested levels included. */
  level(): JsonFragment {
    const t = this.t;
    if (t.charCodeAt(this.pos) !== CH_LBRACE) this.fail('expected `{`');
    this.pos++;
    this.skipSpace();
    if (t.charCodeAt(this.pos) === CH_RBRACE) {
      this.pos++;
      return '[]';
    }
    let out = '[';
    for (;;) {
      this.skipSpace();
      const c = t.charCodeAt(this.pos);
      if (c === CH_LBRACE) out += this.level();
      else if (c === CH_QUOTE) out += this.element(this.quoted());
      else out += this.unquoted();
      this.skipSpace();
      const next = t.charCodeAt(this.pos);
      this.pos++;
      if (next === this.delimiter) out += ',';
      else if (next === CH_RBRACE) return `${out}]`;
      else this.fail(this.pos > t.length ? 'unterminated' : 'expected a delimiter or `}`');
    }
  }

  quoted(): string {
    const q = readQuoted(this.t, this.pos);
    if (!q) return this.fail('unterminated quote');
    this.pos = q.end;
    return q.text;
  }

  unquoted(): JsonFragment {
    const t = this.t;
    const start = this.pos;
    let hasEscape = false;
    let end = start;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === this.delimiter || c === CH_RBRACE || c === CH_LBRACE || c === CH_QUOTE) break;
      if (c === CH_BACKSLASH) {
        hasEscape = true;
        this.pos++;
      }
      this.pos++;
      if (!isSpace(c)) end = this.pos;
    }
    if (end === start) this.fail('an empty element');
    const raw = t.slice(start, end);
    if (raw.length === 4 && !hasEscape && raw.toUpperCase() === 'NULL') return JSON_NULL;
    return this.element(hasEscape ? raw.replace(/\\(.)/gs, '$1') : raw);
  }
}

/**
 * Arrays of any depth → nested JSON arrays, each element through its type's own converter (so
 * timestamps inside arrays are formatted, numerics stay exact, and json elements are spliced).
 * Declared dimensions are not enforced by PostgreSQL, so the depth is whatever the text has.
 */
export function arrayConverter(
  element: TextConverter,
  delimiter: string,
  ctx: ConversionContext,
): TextConverter {
  const delim = delimiter.charCodeAt(0);
  return (t) => {
    if (t === null) return JSON_NULL;
    return new ArrayLiteralReader(t, delim, element, ctx).read();
  };
}
