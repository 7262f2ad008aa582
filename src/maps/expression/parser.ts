import type { BinOp, CmpOp, FormattedValue, Generator, Node } from './ast';
import { ExpressionSyntaxError } from './errors';
import { tokenize, type Token } from './lexer';

const KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
]);

const UNSUPPORTED_KEYWORDS: Record<string, string> = {
  lambda: 'lambda functions are',
  import: 'import is',
  from: 'import is',
  yield: 'yield is',
  await: 'await is',
  def: 'function definitions are',
  class: 'class definitions are',
  del: 'del is',
  global: 'global is',
  assert: 'assert is',
};

/** A recursive-descent parser for Python's expression grammar, with Python's precedence levels. */
export function parseExpression(text: string): Node {
  const p = new Parser(tokenize(text));
  if (p.peek().type === 'end') throw new ExpressionSyntaxError('empty expression', 1);
  const node = p.exprList(true);
  p.expectEnd();
  return node;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private fail(msg: string, t: Token = this.peek()): never {
    throw new ExpressionSyntaxError(msg, t.pos + 1);
  }

  private isOp(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'op' && t.text === text;
  }

  private isKw(word: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'name' && t.text === word;
  }

  private eatOp(text: string): boolean {
    if (!this.isOp(text)) return false;
    this.next();
    return true;
  }

  private expectOp(text: string): Token {
    if (!this.isOp(text)) this.fail(`expected '${text}' but found ${describe(this.peek())}`);
    return this.next();
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.type === 'end') return;
    if (t.type === 'op') {
      if (
        t.text === '=' ||
        (t.text.endsWith('=') && t.text.length >= 2 && !['==', '!=', '<=', '>='].includes(t.text))
      ) {
        this.fail('assignment is not allowed in an expression');
      }
      if (t.text === ':=') this.fail('assignment expressions (:=) are not allowed');
      if (t.text === ';') this.fail('only one expression is allowed');
    }
    this.fail(`unexpected ${describe(t)}`);
  }

  /** `a, b` (a tuple) or a single expression; `allowStar` permits `*x` items. */
  exprList(topLevel: boolean): Node {
    const start = this.peek();
    const first = this.starOrTest();
    if (!this.isOp(',')) {
      if (first.kind === 'Starred') this.fail("can't use starred expression here", start);
      return first;
    }
    const elts = [first];
    while (this.eatOp(',')) {
      if (this.endsList(topLevel)) break;
      elts.push(this.starOrTest());
    }
    return { kind: 'Tuple', pos: start.pos, elts };
  }

  private endsList(topLevel: boolean): boolean {
    const t = this.peek();
    if (t.type === 'end') return topLevel;
    return (
      t.type === 'op' &&
      (t.text === ')' || t.text === ']' || t.text === '}' || t.text === '=' || t.text === ':')
    );
  }

  private starOrTest(): Node {
    const t = this.peek();
    if (this.eatOp('*')) return { kind: 'Starred', pos: t.pos, value: this.orExpr() };
    return this.test();
  }

  /** A full expression: conditional, lambda (rejected), walrus (rejected). */
  test(): Node {
    const t = this.peek();
    if (t.type === 'name' && UNSUPPORTED_KEYWORDS[t.text] !== undefined) {
      this.fail(`${UNSUPPORTED_KEYWORDS[t.text]} not supported in stream map expressions`);
    }
    const body = this.orTest();
    if (this.isOp(':=')) this.fail('assignment expressions (:=) are not allowed');
    if (this.isKw('if')) {
      this.next();
      const cond = this.orTest();
      if (!this.isKw('else')) this.fail("expected 'else' after 'if' condition");
      this.next();
      const orelse = this.test();
      return { kind: 'IfExp', pos: t.pos, test: cond, body, orelse };
    }
    return body;
  }

  private orTest(): Node {
    const t = this.peek();
    const first = this.andTest();
    if (!this.isKw('or')) return first;
    const values = [first];
    while (this.isKw('or')) {
      this.next();
      values.push(this.andTest());
    }
    return { kind: 'BoolOp', pos: t.pos, op: 'or', values };
  }

  private andTest(): Node {
    const t = this.peek();
    const first = this.notTest();
    if (!this.isKw('and')) return first;
    const values = [first];
    while (this.isKw('and')) {
      this.next();
      values.push(this.notTest());
    }
    return { kind: 'BoolOp', pos: t.pos, op: 'and', values };
  }

  private notTest(): Node {
    const t = this.peek();
    if (this.isKw('not')) {
      this.next();
      return { kind: 'Unary', pos: t.pos, op: 'not', operand: this.notTest() };
    }
    return this.comparison();
  }

  private compOp(): CmpOp | undefined {
    const t = this.peek();
    if (t.type === 'op' && ['<', '>', '==', '>=', '<=', '!='].includes(t.text)) {
      this.next();
      return t.text as CmpOp;
    }
    if (this.isKw('in')) {
      this.next();
      return 'in';
    }
    if (this.isKw('not') && this.isKw('in', 1)) {
      this.next();
      this.next();
      return 'not in';
    }
    if (this.isKw('is')) {
      this.next();
      if (this.isKw('not')) {
        this.next();
        return 'is not';
      }
      return 'is';
    }
    return undefined;
  }

  private comparison(): Node {
    const t = this.peek();
    const left = this.orExpr();
    const ops: CmpOp[] = [];
    const comparators: Node[] = [];
    for (let op = this.compOp(); op !== undefined; op = this.compOp()) {
      ops.push(op);
      comparators.push(this.orExpr());
    }
    return ops.length === 0 ? left : { kind: 'Compare', pos: t.pos, left, ops, comparators };
  }

  private binaryLevel(ops: readonly string[], nextLevel: () => Node): Node {
    let left = nextLevel();
    for (;;) {
      const t = this.peek();
      if (t.type !== 'op' || !ops.includes(t.text)) return left;
      this.next();
      const right = nextLevel();
      left = { kind: 'Bin', pos: t.pos, op: t.text as BinOp, left, right };
    }
  }

  orExpr(): Node {
    return this.binaryLevel(['|'], () => this.xorExpr());
  }
  private xorExpr(): Node {
    return this.binaryLevel(['^'], () => this.andExpr());
  }
  private andExpr(): Node {
    return this.binaryLevel(['&'], () => this.shiftExpr());
  }
  private shiftExpr(): Node {
    return this.binaryLevel(['<<', '>>'], () => this.arith());
  }
  private arith(): Node {
    return this.binaryLevel(['+', '-'], () => this.term());
  }
  private term(): Node {
    if (this.isOp('@')) this.fail('the @ operator is not supported');
    const node = this.binaryLevel(['*', '/', '//', '%'], () => this.factor());
    if (this.isOp('@')) this.fail('the @ operator is not supported');
    return node;
  }

  private factor(): Node {
    const t = this.peek();
    if (t.type === 'op' && (t.text === '-' || t.text === '+' || t.text === '~')) {
      this.next();
      return { kind: 'Unary', pos: t.pos, op: t.text, operand: this.factor() };
    }
    return this.power();
  }

  private power(): Node {
    const base = this.primary();
    const t = this.peek();
    if (this.eatOp('**'))
      return { kind: 'Bin', pos: t.pos, op: '**', left: base, right: this.factor() };
    return base;
  }

  private primary(): Node {
    let node = this.atom();
    for (;;) {
      const t = this.peek();
      if (this.eatOp('.')) {
        const name = this.next();
        if (name.type !== 'name' || KEYWORDS.has(name.text))
          this.fail('expected an attribute name after "."', name);
        node = { kind: 'Attribute', pos: t.pos, value: node, attr: name.text };
      } else if (this.eatOp('(')) {
        node = this.callArgs(node, t);
      } else if (this.eatOp('[')) {
        node = { kind: 'Subscript', pos: t.pos, value: node, index: this.subscriptList() };
        this.expectOp(']');
      } else {
        return node;
      }
    }
  }

  private callArgs(func: Node, open: Token): Node {
    const args: Node[] = [];
    const keywords: { name: string; value: Node }[] = [];
    while (!this.isOp(')')) {
      const t = this.peek();
      if (this.isOp('*') || this.isOp('**'))
        this.fail('argument unpacking (*args, **kwargs) is not supported in calls');
      if (t.type === 'name' && this.isOp('=', 1)) {
        this.next();
        this.next();
        if (keywords.some((k) => k.name === t.text))
          this.fail(`keyword argument repeated: ${t.text}`, t);
        keywords.push({ name: t.text, value: this.test() });
      } else {
        if (keywords.length > 0) this.fail('positional argument follows keyword argument', t);
        const arg = this.test();
        if (this.isKw('for')) {
          args.push(this.comprehension('gen', arg, null, t));
        } else {
          args.push(arg);
        }
      }
      if (!this.eatOp(',')) break;
    }
    this.expectOp(')');
    return { kind: 'Call', pos: open.pos, func, args, keywords };
  }

  private subscriptList(): Node {
    const start = this.peek();
    const first = this.subscript();
    if (!this.isOp(',')) return first;
    const elts = [first];
    while (this.eatOp(',')) {
      if (this.isOp(']')) break;
      elts.push(this.subscript());
    }
    return { kind: 'Tuple', pos: start.pos, elts };
  }

  private subscript(): Node {
    const t = this.peek();
    let lower: Node | null = null;
    if (!this.isOp(':')) {
      lower = this.test();
      if (!this.isOp(':')) return lower;
    }
    this.expectOp(':');
    let upper: Node | null = null;
    let step: Node | null = null;
    if (!this.isOp(']') && !this.isOp(',') && !this.isOp(':')) upper = this.test();
    if (this.eatOp(':')) {
      if (!this.isOp(']') && !this.isOp(',')) step = this.test();
    }
    return { kind: 'Slice', pos: t.pos, lower, upper, step };
  }

  private atom(): Node {
    const t = this.peek();
    switch (t.type) {
      case 'int':
        this.next();
        return { kind: 'Const', pos: t.pos, value: t.value };
      case 'float':
        this.next();
        return { kind: 'Const', pos: t.pos, value: t.value };
      case 'string':
        return this.strings();
      case 'name':
        return this.nameAtom(t);
      case 'end':
        this.fail('unexpected end of expression');
    }
    if (t.type === 'op') {
      if (t.text === '(') return this.parenthesized();
      if (t.text === '[') return this.listDisplay();
      if (t.text === '{') return this.dictDisplay();
      if (t.text === '...') this.fail('Ellipsis is not supported');
    }
    return this.fail(`unexpected ${describe(t)}`);
  }

  private nameAtom(t: Token & { type: 'name' }): Node {
    this.next();
    if (t.text === 'True') return { kind: 'Const', pos: t.pos, value: true };
    if (t.text === 'False') return { kind: 'Const', pos: t.pos, value: false };
    if (t.text === 'None') return { kind: 'Const', pos: t.pos, value: null };
    if (UNSUPPORTED_KEYWORDS[t.text] !== undefined) {
      this.fail(`${UNSUPPORTED_KEYWORDS[t.text]} not supported in stream map expressions`, t);
    }
    if (KEYWORDS.has(t.text)) this.fail(`unexpected keyword '${t.text}'`, t);
    return { kind: 'Name', pos: t.pos, id: t.text };
  }

  private strings(): Node {
    const first = this.peek();
    const pieces: (Token & { type: 'string' })[] = [];
    while (this.peek().type === 'string') pieces.push(this.next() as Token & { type: 'string' });
    if (!pieces.some((p) => p.fstring)) {
      return { kind: 'Const', pos: first.pos, value: pieces.map((p) => p.value).join('') };
    }
    const parts: (string | FormattedValue)[] = [];
    for (const p of pieces) {
      if (p.fstring) parts.push(...parseFString(p.value, p.pos));
      else parts.push(p.value);
    }
    return { kind: 'JoinedStr', pos: first.pos, parts };
  }

  private parenthesized(): Node {
    const open = this.next();
    if (this.eatOp(')')) return { kind: 'Tuple', pos: open.pos, elts: [] };
    const first = this.starOrTest();
    if (this.isKw('for')) {
      const comp = this.comprehension('gen', first, null, open);
      this.expectOp(')');
      return comp;
    }
    if (!this.isOp(',')) {
      this.expectOp(')');
      if (first.kind === 'Starred') this.fail("can't use starred expression here", open);
      return first;
    }
    const elts = [first];
    while (this.eatOp(',')) {
      if (this.isOp(')')) break;
      elts.push(this.starOrTest());
    }
    this.expectOp(')');
    return { kind: 'Tuple', pos: open.pos, elts };
  }

  private listDisplay(): Node {
    const open = this.next();
    const elts: Node[] = [];
    if (this.eatOp(']')) return { kind: 'List', pos: open.pos, elts };
    const first = this.starOrTest();
    if (this.isKw('for')) {
      const comp = this.comprehension('list', first, null, open);
      this.expectOp(']');
      return comp;
    }
    elts.push(first);
    while (this.eatOp(',')) {
      if (this.isOp(']')) break;
      elts.push(this.starOrTest());
    }
    this.expectOp(']');
    return { kind: 'List', pos: open.pos, elts };
  }

  private dictDisplay(): Node {
    const open = this.next();
    const keys: (Node | null)[] = [];
    const values: Node[] = [];
    if (this.eatOp('}')) return { kind: 'Dict', pos: open.pos, keys, values };
    if (!this.isOp('**')) {
      const k = this.starOrTest();
      if (!this.isOp(':')) this.fail('set literals are not supported (use a list)', open);
      this.next();
      const v = this.test();
      if (this.isKw('for')) {
        const comp = this.comprehension('dict', k, v, open);
        this.expectOp('}');
        return comp;
      }
      keys.push(k);
      values.push(v);
      if (!this.eatOp(',')) {
        this.expectOp('}');
        return { kind: 'Dict', pos: open.pos, keys, values };
      }
    }
    while (!this.isOp('}')) {
      if (this.eatOp('**')) {
        keys.push(null);
        values.push(this.orExpr());
      } else {
        keys.push(this.test());
        this.expectOp(':');
        values.push(this.test());
      }
      if (!this.eatOp(',')) break;
    }
    this.expectOp('}');
    return { kind: 'Dict', pos: open.pos, keys, values };
  }

  private comprehension(
    comp: 'list' | 'gen' | 'dict',
    elt: Node,
    value: Node | null,
    open: Token,
  ): Node {
    if (elt.kind === 'Starred')
      this.fail('iterable unpacking cannot be used in comprehension', open);
    const generators: Generator[] = [];
    while (this.isKw('for')) {
      this.next();
      const target = this.target();
      if (!this.isKw('in')) this.fail("expected 'in' in comprehension");
      this.next();
      const iter = this.orTest();
      const ifs: Node[] = [];
      while (this.isKw('if')) {
        this.next();
        ifs.push(this.orTestNoCond());
      }
      generators.push({ target, iter, ifs });
    }
    if (this.isKw('async')) this.fail('async comprehensions are not supported');
    return { kind: 'Comp', pos: open.pos, comp, elt, value, generators };
  }

  private orTestNoCond(): Node {
    return this.orTest();
  }

  /** A comprehension target: names, possibly nested in tuples/lists. */
  private target(): Node {
    const start = this.peek();
    const first = this.targetAtom();
    if (!this.isOp(',')) return first;
    const elts = [first];
    while (this.eatOp(',')) {
      if (this.isKw('in')) break;
      elts.push(this.targetAtom());
    }
    return { kind: 'Tuple', pos: start.pos, elts };
  }

  private targetAtom(): Node {
    const t = this.peek();
    if (this.eatOp('(') || this.eatOp('[')) {
      const close = t.type === 'op' && t.text === '(' ? ')' : ']';
      const elts: Node[] = [];
      while (!this.isOp(close)) {
        elts.push(this.target());
        if (!this.eatOp(',')) break;
      }
      this.expectOp(close);
      return elts.length === 1 && elts[0]!.kind === 'Tuple'
        ? elts[0]!
        : { kind: 'Tuple', pos: t.pos, elts };
    }
    if (t.type !== 'name' || KEYWORDS.has(t.text))
      this.fail('a comprehension variable must be a name');
    this.next();
    return { kind: 'Name', pos: t.pos, id: t.text };
  }
}

function describe(t: Token): string {
  switch (t.type) {
    case 'end':
      return 'end of expression';
    case 'name':
      return `'${t.text}'`;
    case 'op':
      return `'${t.text}'`;
    case 'string':
      return 'string';
    default:
      return 'number';
  }
}

/** Splits an f-string's (escape-processed) body into literal text and `{expression!conv:spec}` parts. */
function parseFString(body: string, pos: number): (string | FormattedValue)[] {
  const parts: (string | FormattedValue)[] = [];
  let literal = '';
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c === '{' && body[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (c === '}' && body[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (c === '}') {
      throw new ExpressionSyntaxError("f-string: single '}' is not allowed", pos + 1);
    } else if (c === '{') {
      if (literal !== '') parts.push(literal);
      literal = '';
      const { end, exprText, specText } = scanReplacement(body, i + 1, pos);
      const exprSource = exprText.replace(/(![rsa])?\s*=?\s*$/, (m) => {
        if (/=/.test(m))
          throw new ExpressionSyntaxError(
            'f-string self-documenting expressions (=) are not supported',
            pos + 1,
          );
        return '';
      });
      if (exprSource.trim() === '')
        throw new ExpressionSyntaxError('f-string: empty expression not allowed', pos + 1);
      const value = parseExpressionAt(exprSource, pos);
      const spec = specText === null ? null : parseSpec(specText, pos);
      parts.push({ value, spec });
      i = end + 1;
    } else {
      literal += c;
      i++;
    }
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

function parseSpec(specText: string, pos: number): Node {
  if (!specText.includes('{')) return { kind: 'Const', pos, value: specText };
  return { kind: 'JoinedStr', pos, parts: parseFString(specText, pos) };
}

function parseExpressionAt(text: string, pos: number): Node {
  const p = new Parser(tokenize(text, pos));
  const node = p.exprList(true);
  p.expectEnd();
  return node;
}

/** Finds the end of a replacement field, skipping nested brackets and quoted strings. */
function scanReplacement(
  body: string,
  start: number,
  pos: number,
): { end: number; exprText: string; specText: string | null } {
  let depth = 0;
  let i = start;
  let quote: string | null = null;
  let colon = -1;
  while (i < body.length) {
    const c = body[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '(' || c === '[' || c === '{') {
      if (colon < 0) depth++;
      else if (c === '{') depth++;
    } else if (c === ')' || c === ']') {
      if (colon < 0) depth--;
    } else if (c === '}') {
      if (depth === 0) {
        const exprText = body.slice(start, colon < 0 ? i : colon);
        return { end: i, exprText, specText: colon < 0 ? null : body.slice(colon + 1, i) };
      }
      depth--;
    } else if (c === ':' && depth === 0 && colon < 0) {
      colon = i;
    } else if (c === '!' && depth === 0 && colon < 0 && body[i + 1] !== '=') {
      // conversion: keep scanning; it is stripped from the expression text later
    }
    i++;
  }
  throw new ExpressionSyntaxError("f-string: expecting '}'", pos + 1);
}
