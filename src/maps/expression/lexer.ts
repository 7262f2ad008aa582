import { ExpressionSyntaxError } from './errors';

export type Token =
  | { type: 'name'; pos: number; text: string }
  | { type: 'int'; pos: number; value: bigint }
  | { type: 'float'; pos: number; value: number }
  | { type: 'string'; pos: number; value: string; fstring: boolean; raw: boolean }
  | { type: 'op'; pos: number; text: string }
  | { type: 'end'; pos: number };

const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '**',
  '//',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  ':=',
  '->',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '@=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '@',
  '<',
  '>',
  '=',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '.',
  ';',
  '~',
  '&',
  '|',
  '^',
  '!',
];

const NAME_START = /[\p{L}\p{Nl}_]/u;
const NAME_PART = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_]/u;

/** Splits an expression into Python tokens; positions are 0-based offsets into the text. */
export function tokenize(text: string, offset = 0): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (msg: string, at: number): never => {
    throw new ExpressionSyntaxError(msg, offset + at + 1);
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      i += text[i + 1] === '\n' ? 2 : 3;
      continue;
    }
    if (c === '#') fail('comments are not allowed in an expression', i);
    const start = i;
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      i = readNumber(text, i, tokens, offset, fail);
      continue;
    }
    if (NAME_START.test(c) || c.codePointAt(0)! > 0xffff) {
      let j = i;
      while (j < text.length) {
        const ch = String.fromCodePoint(text.codePointAt(j)!);
        if (!NAME_PART.test(ch)) break;
        j += ch.length;
      }
      if (j === i) fail(`invalid character '${String.fromCodePoint(text.codePointAt(i)!)}'`, i);
      const word = text.slice(i, j);
      const q = text[j];
      if ((q === "'" || q === '"') && /^(r|u|f|b|rb|br|fr|rf)$/i.test(word)) {
        const prefix = word.toLowerCase();
        if (prefix.includes('b')) fail('bytes literals are not supported', i);
        i = readString(
          text,
          j,
          start,
          prefix.includes('r'),
          prefix.includes('f'),
          tokens,
          offset,
          fail,
        );
        continue;
      }
      tokens.push({ type: 'name', pos: offset + start, text: word.normalize('NFKC') });
      i = j;
      continue;
    }
    if (c === "'" || c === '"') {
      i = readString(text, i, start, false, false, tokens, offset, fail);
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined)
      fail(`invalid character '${String.fromCodePoint(text.codePointAt(i)!)}'`, i);
    tokens.push({ type: 'op', pos: offset + i, text: op! });
    i += op!.length;
  }
  tokens.push({ type: 'end', pos: offset + text.length });
  return tokens;
}

function readNumber(
  text: string,
  i: number,
  tokens: Token[],
  offset: number,
  fail: (msg: string, at: number) => never,
): number {
  const start = i;
  const rest = text.slice(i);
  const radix =
    /^0([xX]_?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*|[oO]_?[0-7]+(?:_[0-7]+)*|[bB]_?[01]+(?:_[01]+)*)/.exec(
      rest,
    );
  let end: number;
  if (radix !== null) {
    const body = radix[1]!.slice(1).replace(/_/g, '');
    const base = radix[1]![0]!.toLowerCase();
    const prefix = base === 'x' ? '0x' : base === 'o' ? '0o' : '0b';
    tokens.push({ type: 'int', pos: offset + start, value: BigInt(prefix + body) });
    end = i + radix[0].length;
  } else {
    const digits = '[0-9](?:_?[0-9])*';
    const m = new RegExp(`^(?:(${digits})?(\\.(?:${digits})?)?([eE][+-]?${digits})?)`).exec(rest)!;
    const whole = m[0];
    if (m[2] === undefined && m[3] === undefined) {
      const clean = whole.replace(/_/g, '');
      if (/^0+[1-9]/.test(clean))
        fail('leading zeros in decimal integer literals are not permitted', i);
      tokens.push({ type: 'int', pos: offset + start, value: BigInt(clean) });
    } else {
      tokens.push({ type: 'float', pos: offset + start, value: Number(whole.replace(/_/g, '')) });
    }
    end = i + whole.length;
  }
  const next = text[end] ?? '';
  if (next === 'j' || next === 'J') fail('complex numbers are not supported', end);
  if (/[\p{L}\p{N}_]/u.test(next)) fail('invalid number literal', start);
  return end;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function readString(
  text: string,
  i: number,
  start: number,
  raw: boolean,
  fstring: boolean,
  tokens: Token[],
  offset: number,
  fail: (msg: string, at: number) => never,
): number {
  const q = text[i]!;
  const triple = text.startsWith(q.repeat(3), i);
  const delim = triple ? q.repeat(3) : q;
  let j = i + delim.length;
  let value = '';
  for (;;) {
    if (j >= text.length) fail('unterminated string literal', start);
    if (text.startsWith(delim, j)) break;
    const ch = text[j]!;
    if (!triple && ch === '\n') fail('unterminated string literal', start);
    if (ch === '\\') {
      const n = text[j + 1];
      if (n === undefined) fail('unterminated string literal', start);
      if (raw || (fstring && (n === '{' || n === '}'))) {
        value += ch + n;
        j += 2;
        continue;
      }
      if (n === '\n') {
        j += 2;
        continue;
      }
      const simple = SIMPLE_ESCAPES[n!];
      if (simple !== undefined) {
        value += simple;
        j += 2;
        continue;
      }
      if (/[0-7]/.test(n!)) {
        const m = /^[0-7]{1,3}/.exec(text.slice(j + 1))![0];
        value += String.fromCodePoint(parseInt(m, 8));
        j += 1 + m.length;
        continue;
      }
      const hexLen = n === 'x' ? 2 : n === 'u' ? 4 : n === 'U' ? 8 : 0;
      if (hexLen > 0) {
        const hex = text.slice(j + 2, j + 2 + hexLen);
        if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex)) fail(`truncated \\${n} escape`, j);
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) fail('illegal Unicode character', j);
        value += String.fromCodePoint(cp);
        j += 2 + hexLen;
        continue;
      }
      if (n === 'N') fail('\\N{...} escapes are not supported', j);
      value += ch + n; // unknown escapes stay as written, as in Python
      j += 2;
      continue;
    }
    value += ch;
    j++;
  }
  tokens.push({ type: 'string', pos: offset + start, value, fstring, raw });
  return j + delim.length;
}
