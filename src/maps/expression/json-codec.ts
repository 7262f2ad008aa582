import { ExpressionEvalError, typeError, valueError } from './errors';
import { decimalToString, isDecimal, parseDecimalText } from './py-decimal';
import { floatRepr } from './py-float';
import { intToString, pyShortTypeName, PyTuple, type PyValue } from './py-value';

/**
 * Parses JSON text into Python values. `exact` is the SDK's record deserializer (numbers with a
 * fraction or exponent become Decimal); otherwise it is Python's `json.loads` (they become float,
 * and NaN/Infinity literals are accepted).
 */
export function parseJson(text: string, exact: boolean): PyValue {
  const p = new JsonParser(text, exact);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.i < text.length) p.fail('Extra data');
  return v;
}

class JsonParser {
  i = 0;
  constructor(
    private readonly s: string,
    private readonly exact: boolean,
  ) {}

  fail(msg: string): never {
    const before = this.s.slice(0, this.i);
    const line = before.split('\n').length;
    const col = this.i - before.lastIndexOf('\n');
    throw new ExpressionEvalError(
      'JSONDecodeError',
      `${msg}: line ${line} column ${col} (char ${this.i})`,
    );
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else break;
    }
  }

  value(): PyValue {
    const s = this.s;
    const c = s[this.i];
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
      case 'N':
        if (!this.exact) return this.literal('NaN', NaN);
        break;
      case 'I':
        if (!this.exact) return this.literal('Infinity', Infinity);
        break;
    }
    if (c === '-' && !this.exact && s.startsWith('-Infinity', this.i))
      return this.literal('-Infinity', -Infinity);
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    return this.fail('Expecting value');
  }

  private literal(word: string, v: PyValue): PyValue {
    if (!this.s.startsWith(word, this.i)) this.fail('Expecting value');
    this.i += word.length;
    return v;
  }

  private number(): PyValue {
    const m = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    m.lastIndex = this.i;
    const r = m.exec(this.s);
    if (r === null) this.fail('Expecting value');
    this.i += r![0].length;
    const text = r![0];
    if (r![1] === undefined && r![2] === undefined) return BigInt(text);
    if (this.exact) return parseDecimalText(text)!;
    return Number(text);
  }

  private string(): string {
    const s = this.s;
    this.i++;
    let out = '';
    let start = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('Unterminated string starting at');
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        out += s.slice(start, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail('Invalid control character at');
      if (c === 0x5c) {
        out += s.slice(start, this.i);
        const e = s[this.i + 1];
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = s.slice(this.i + 2, this.i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('Invalid \\uXXXX escape');
            out += String.fromCharCode(parseInt(hex, 16));
            this.i += 4;
            break;
          }
          default:
            this.fail('Invalid \\escape');
        }
        this.i += 2;
        start = this.i;
        continue;
      }
      this.i++;
    }
  }

  private array(): PyValue[] {
    this.i++;
    const out: PyValue[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return out;
      }
      this.fail("Expecting ',' delimiter");
    }
  }

  private object(): Map<string, PyValue> {
    this.i++;
    const out = new Map<string, PyValue>();
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('Expecting property name enclosed in double quotes');
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail("Expecting ':' delimiter");
      this.i++;
      this.ws();
      out.set(key, this.value());
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return out;
      }
      this.fail("Expecting ',' delimiter");
    }
  }
}

// ---- writing ------------------------------------------------------------------------------------

export interface DumpOptions {
  ensureAscii: boolean;
  allowNan: boolean;
  /** The SDK's serializer writes NaN and infinities as null (simplejson's ignore_nan). */
  nanAsNull: boolean;
  /** Decimal written as its digits (the SDK's serializer); Python's json module refuses it. */
  decimalAsNumber: boolean;
  sortKeys: boolean;
  indent: string | null;
  itemSeparator: string;
  keySeparator: string;
  /** The `default=` hook: turns an unknown value into a serializable one. */
  fallback: ((v: PyValue) => PyValue) | null;
}

export function jsonQuote(s: string, ensureAscii: boolean): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = '\\\\';
    else if (c < 0x20) {
      esc =
        c === 0x0a
          ? '\\n'
          : c === 0x0d
            ? '\\r'
            : c === 0x09
              ? '\\t'
              : c === 0x08
                ? '\\b'
                : c === 0x0c
                  ? '\\f'
                  : '\\u' + c.toString(16).padStart(4, '0');
    } else if (ensureAscii && c > 0x7e) {
      esc = '\\u' + c.toString(16).padStart(4, '0');
    }
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

function floatJson(x: number, o: DumpOptions): string {
  if (Number.isFinite(x)) return floatRepr(x);
  if (o.nanAsNull) return 'null';
  if (!o.allowNan)
    throw valueError(`Out of range float values are not JSON compliant: ${floatRepr(x)}`);
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

export function dumpJson(value: PyValue, o: DumpOptions): string {
  const seen = new Set<object>();
  const write = (v: PyValue, depth: number): string => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'boolean':
        return v ? 'true' : 'false';
      case 'bigint':
        return o.decimalAsNumber ? v.toString() : intToString(v);
      case 'number':
        return floatJson(v, o);
      case 'string':
        return jsonQuote(v, o.ensureAscii);
    }
    if (isDecimal(v) && o.decimalAsNumber) return decimalToString(v);
    const items = Array.isArray(v) ? v : v instanceof PyTuple ? v.items : null;
    if (items !== null || v instanceof Map) {
      const obj = v as object;
      if (seen.has(obj)) throw valueError('Circular reference detected');
      seen.add(obj);
      const inner = o.indent === null ? '' : '\n' + o.indent.repeat(depth + 1);
      const outer = o.indent === null ? '' : '\n' + o.indent.repeat(depth);
      let text: string;
      if (items !== null) {
        text =
          items.length === 0
            ? '[]'
            : '[' +
              inner +
              items.map((x) => write(x, depth + 1)).join(o.itemSeparator + inner) +
              outer +
              ']';
      } else {
        const entries = Array.from(v as Map<string, PyValue>);
        if (o.sortKeys) entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        text =
          entries.length === 0
            ? '{}'
            : '{' +
              inner +
              entries
                .map(([k, x]) => jsonQuote(k, o.ensureAscii) + o.keySeparator + write(x, depth + 1))
                .join(o.itemSeparator + inner) +
              outer +
              '}';
      }
      seen.delete(obj);
      return text;
    }
    if (o.fallback !== null) return write(o.fallback(v), depth);
    throw typeError(
      `Object of type ${pyShortTypeName(v).replace(/^.*\./, '')} is not JSON serializable`,
    );
  };
  return write(value, 0);
}

/** Python's `json.dumps` defaults. */
export const PYTHON_DUMPS: DumpOptions = {
  ensureAscii: true,
  allowNan: true,
  nanAsNull: false,
  decimalAsNumber: false,
  sortKeys: false,
  indent: null,
  itemSeparator: ', ',
  keySeparator: ': ',
  fallback: null,
};
