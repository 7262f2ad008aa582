import type { Node } from './ast';
import { BUILTINS, callValue, requireStrKey } from './builtins';
import { ExpressionEvalError, ExpressionSyntaxError, typeError, valueError } from './errors';
import { formatValue } from './format-spec';
import { getAttribute, resolveMethod, DICT_METHODS } from './methods';
import { binaryOp, contains, isSame, iterate, PySlice, subscript, unaryOp } from './operators';
import { parseExpression } from './parser';
import {
  PyCallable,
  pyCompare,
  pyEquals,
  pyShortTypeName,
  pyStr,
  pyTruthy,
  PyTuple,
  type PyValue,
} from './py-value';

export interface ExpressionScope {
  /** The value of a bare name; undefined = not defined (NameError), unless it is a built-in. */
  lookup(name: string): PyValue | undefined;
  /**
   * The value of the scope's entry `i`, for names `evaluate`'s `bound` binds to entries (a
   * record's properties, resolved once per record layout instead of by name every time).
   */
  entry?(i: number): PyValue;
}

export interface Expression {
  readonly text: string;
  /** Bare names the expression reads that are not built-ins (functions and modules). */
  readonly names: ReadonlySet<string>;
  /** Keys read as `record['k']` / `_['k']` / `record.get('k')` / `record.k` with a literal key. */
  readonly recordKeys: ReadonlySet<string>;
  /** True when `record` or `_` is used in any other way (the whole record is needed). */
  readonly wholeRecord: boolean;
  /** Every bare name the expression asks its scope for (built-ins' names too), numbered. */
  readonly scopeNames: readonly string[];
  /** The parsed expression (for forms evaluated another way, such as on a value's JSON bytes). */
  readonly tree: Node;
  /**
   * The value in `scope`. With `bound`, the name `scopeNames[k]` is `scope.entry(bound[k])` when
   * that is 0 or more (which must be what `scope.lookup` gives for it), else `scope.lookup`'s.
   */
  evaluate(scope: ExpressionScope, bound?: ArrayLike<number> | null): PyValue;
}

interface Env {
  scope: ExpressionScope;
  /** evaluate's `bound`, or null. */
  bound: ArrayLike<number> | null;
  locals: PyValue[];
  /** Items produced by comprehensions so far in this evaluation (bounded like simpleeval's). */
  produced: number;
}

type Fn = (env: Env) => PyValue;

const MAX_COMPREHENSION_LENGTH = 10000;
const NO_ARGS: readonly PyValue[] = Object.freeze([]);
const RECORD_NAMES = new Set(['record', '_']);
/** simpleeval refuses these attribute names on any object; so do we, when compiling. */
const DISALLOWED_ATTRIBUTES = new Set([
  'format',
  'format_map',
  'mro',
  'tb_frame',
  'gi_frame',
  'ag_frame',
  'cr_frame',
  'exec',
]);

type LocalScope = ReadonlyMap<string, number>;

/** The scope's value of bare name number `k`, `id`: by its bound entry when it has one. */
function lookupName(env: Env, k: number, id: string): PyValue | undefined {
  const bound = env.bound;
  const i = bound === null ? -1 : bound[k]!;
  return i >= 0 ? env.scope.entry!(i) : env.scope.lookup(id);
}

class Compiler {
  readonly names = new Set<string>();
  readonly recordKeys = new Set<string>();
  wholeRecord = false;
  slots = 0;
  readonly scopeNames: string[] = [];

  /** The number of a bare name the scope is asked for. */
  private scopeName(id: string): number {
    const k = this.scopeNames.indexOf(id);
    if (k >= 0) return k;
    this.scopeNames.push(id);
    return this.scopeNames.length - 1;
  }

  private fail(msg: string, node: Node): never {
    throw new ExpressionSyntaxError(msg, node.pos + 1);
  }

  /** `record` or `_` as a free name (not a comprehension variable). */
  private isRecordName(node: Node, locals: LocalScope): boolean {
    return node.kind === 'Name' && RECORD_NAMES.has(node.id) && !locals.has(node.id);
  }

  compile(node: Node, locals: LocalScope, partialRecord = false): Fn {
    switch (node.kind) {
      case 'Const': {
        const v = node.value;
        return () => v;
      }
      case 'Name':
        return this.name(node.id, locals, partialRecord);
      case 'Unary': {
        const operand = this.compile(node.operand, locals);
        if (node.op === 'not') return (env) => !pyTruthy(operand(env));
        const op = node.op;
        return (env) => unaryOp(op, operand(env));
      }
      case 'Bin': {
        const left = this.compile(node.left, locals);
        const right = this.compile(node.right, locals);
        const op = node.op;
        return (env) => binaryOp(op, left(env), right(env));
      }
      case 'BoolOp': {
        const values = node.values.map((v) => this.compile(v, locals));
        if (node.op === 'and') {
          return (env) => {
            let r: PyValue = true;
            for (const v of values) {
              r = v(env);
              if (!pyTruthy(r)) return r;
            }
            return r;
          };
        }
        return (env) => {
          let r: PyValue = false;
          for (const v of values) {
            r = v(env);
            if (pyTruthy(r)) return r;
          }
          return r;
        };
      }
      case 'Compare':
        return this.compare(node, locals);
      case 'IfExp': {
        const test = this.compile(node.test, locals);
        const body = this.compile(node.body, locals);
        const orelse = this.compile(node.orelse, locals);
        return (env) => (pyTruthy(test(env)) ? body(env) : orelse(env));
      }
      case 'Call':
        return this.call(node, locals);
      case 'Attribute': {
        this.checkAttribute(node.attr, node);
        const partial =
          this.isRecordName(node.value, locals) &&
          !Object.prototype.hasOwnProperty.call(DICT_METHODS, node.attr);
        if (partial) this.recordKeys.add(node.attr);
        const value = this.compile(node.value, locals, partial);
        const attr = node.attr;
        return (env) => getAttribute(value(env), attr);
      }
      case 'Subscript': {
        const partial =
          this.isRecordName(node.value, locals) &&
          node.index.kind === 'Const' &&
          typeof node.index.value === 'string';
        if (partial) this.recordKeys.add((node.index as { value: string }).value);
        const value = this.compile(node.value, locals, partial);
        const index = this.compile(node.index, locals);
        return (env) => subscript(value(env), index(env));
      }
      case 'Slice': {
        const none: Fn = () => null;
        const lower = node.lower === null ? none : this.compile(node.lower, locals);
        const upper = node.upper === null ? none : this.compile(node.upper, locals);
        const step = node.step === null ? none : this.compile(node.step, locals);
        return (env) => new PySlice(lower(env), upper(env), step(env)) as unknown as PyValue;
      }
      case 'List': {
        const parts = node.elts.map((e) =>
          e.kind === 'Starred'
            ? { star: true, fn: this.compile(e.value, locals) }
            : { star: false, fn: this.compile(e, locals) },
        );
        return (env) => {
          const out: PyValue[] = [];
          for (const p of parts) {
            if (p.star) out.push(...iterate(p.fn(env)));
            else out.push(p.fn(env));
          }
          return out;
        };
      }
      case 'Tuple': {
        for (const e of node.elts)
          if (e.kind === 'Starred')
            this.fail('starred items are only supported in list literals', e);
        const elts = node.elts.map((e) => this.compile(e, locals));
        return (env) => new PyTuple(elts.map((e) => e(env)));
      }
      case 'Starred':
        return this.fail("can't use starred expression here", node);
      case 'Dict': {
        const entries = node.keys.map((k, i) => ({
          key: k === null ? null : this.compile(k, locals),
          value: this.compile(node.values[i]!, locals),
        }));
        return (env) => {
          const out = new Map<string, PyValue>();
          for (const e of entries) {
            if (e.key === null) {
              const m = e.value(env);
              if (!(m instanceof Map))
                throw typeError(`'${pyShortTypeName(m)}' object is not a mapping`);
              for (const [k, v] of m) out.set(k, v);
            } else {
              const k = requireStrKey(e.key(env));
              out.set(k, e.value(env));
            }
          }
          return out;
        };
      }
      case 'Comp':
        return this.comprehension(node, locals);
      case 'JoinedStr': {
        const parts = node.parts.map((p) =>
          typeof p === 'string'
            ? { text: p, value: null, spec: null }
            : {
                text: '',
                value: this.compile(p.value, locals),
                spec: p.spec === null ? null : this.compile(p.spec, locals),
              },
        );
        return (env) => {
          let out = '';
          for (const p of parts) {
            if (p.value === null) out += p.text;
            else if (p.spec === null) out += pyStr(p.value(env));
            else out += formatValue(p.value(env), pyStr(p.spec(env)));
          }
          return out;
        };
      }
    }
  }

  private checkAttribute(attr: string, node: Node): void {
    if (attr.startsWith('_') || attr.startsWith('func_'))
      this.fail(`access to the attribute '${attr}' is not allowed`, node);
    if (DISALLOWED_ATTRIBUTES.has(attr)) this.fail(`the method '${attr}' is not available`, node);
  }

  private name(id: string, locals: LocalScope, partialRecord: boolean): Fn {
    const slot = locals.get(id);
    if (slot !== undefined) return (env) => env.locals[slot]!;
    const builtin = BUILTINS.get(id);
    const k = this.scopeName(id);
    if (builtin !== undefined) {
      // As in the SDK, a record property or variable of the same name comes first.
      return (env) => {
        const v = lookupName(env, k, id);
        return v === undefined ? builtin : v;
      };
    }
    this.names.add(id);
    if (RECORD_NAMES.has(id) && !partialRecord) this.wholeRecord = true;
    return (env) => {
      const v = lookupName(env, k, id);
      if (v === undefined)
        throw new ExpressionEvalError('NameError', `name '${id}' is not defined`);
      return v;
    };
  }

  private compare(node: Node & { kind: 'Compare' }, locals: LocalScope): Fn {
    const left = this.compile(node.left, locals);
    const steps = node.ops.map((op, i) => ({ op, fn: this.compile(node.comparators[i]!, locals) }));
    const test = (op: string, a: PyValue, b: PyValue): boolean => {
      switch (op) {
        case '==':
          return pyEquals(a, b);
        case '!=':
          return !pyEquals(a, b);
        case 'in':
          return contains(b, a);
        case 'not in':
          return !contains(b, a);
        case 'is':
          return isSame(a, b);
        case 'is not':
          return !isSame(a, b);
        default:
          return pyCompare(op as '<', a, b);
      }
    };
    if (steps.length === 1) {
      // One comparison (nearly all of them): its test chosen now, not per evaluation.
      const { op, fn } = steps[0]!;
      switch (op) {
        case '==':
          return (env) => pyEquals(left(env), fn(env));
        case '!=':
          return (env) => !pyEquals(left(env), fn(env));
        case '<':
        case '<=':
        case '>':
        case '>=':
          return (env) => pyCompare(op, left(env), fn(env));
        default:
          return (env) => test(op, left(env), fn(env));
      }
    }
    return (env) => {
      let a = left(env);
      for (const s of steps) {
        const b = s.fn(env);
        if (!test(s.op, a, b)) return false;
        a = b;
      }
      return true;
    };
  }

  private call(node: Node & { kind: 'Call' }, locals: LocalScope): Fn {
    const args = node.args.map((a) => this.compile(a, locals));
    const kw = node.keywords.map((k) => ({ name: k.name, fn: this.compile(k.value, locals) }));
    // No arguments: one empty list for every call (callees never change their arguments).
    const evalArgs =
      args.length === 0
        ? () => NO_ARGS
        : (env: Env): PyValue[] => {
            const out = new Array<PyValue>(args.length);
            for (let i = 0; i < args.length; i++) out[i] = args[i]!(env);
            return out;
          };
    const evalKwargs =
      kw.length === 0
        ? () => null
        : (env: Env): Map<string, PyValue> => {
            const m = new Map<string, PyValue>();
            for (const k of kw) m.set(k.name, k.fn(env));
            return m;
          };
    const func = node.func;
    if (func.kind === 'Name') {
      // The SDK resolves a called name among its functions only, never among record properties.
      const fn = BUILTINS.get(func.id);
      if (fn === undefined) {
        this.fail(
          `function '${func.id}' is not defined (available: ${[...BUILTINS.keys()].filter((k) => BUILTINS.get(k) instanceof PyCallable).join(', ')})`,
          func,
        );
      }
      if (!(fn instanceof PyCallable)) this.fail(`'${func.id}' is a module, not a function`, func);
      const f = fn as PyCallable;
      const call1 = f.call1;
      if (call1 !== null && args.length === 1 && kw.length === 0) {
        // One positional argument: no argument list made.
        const arg = args[0]!;
        return (env) => call1(arg(env));
      }
      return (env) => f.call(evalArgs(env), evalKwargs(env));
    }
    if (func.kind === 'Attribute') {
      this.checkAttribute(func.attr, func);
      const isRecordGet =
        this.isRecordName(func.value, locals) &&
        func.attr === 'get' &&
        node.args[0]?.kind === 'Const' &&
        typeof node.args[0].value === 'string';
      if (isRecordGet) this.recordKeys.add((node.args[0] as { value: string }).value);
      const partial =
        isRecordGet ||
        (this.isRecordName(func.value, locals) &&
          !Object.prototype.hasOwnProperty.call(DICT_METHODS, func.attr));
      if (partial && !isRecordGet) this.recordKeys.add(func.attr);
      const target = this.compile(func.value, locals, partial);
      const methodFor = resolveMethod(func.attr);
      const attr = func.attr;
      return (env) => {
        const self = target(env);
        const impl = methodFor(self);
        if (impl !== undefined) return impl(self, evalArgs(env), evalKwargs(env));
        // Python resolves the attribute (and fails) before it evaluates the arguments.
        const fn = getAttribute(self, attr);
        return callValue(fn, evalArgs(env), evalKwargs(env));
      };
    }
    const callee = this.compile(func, locals);
    return (env) => callValue(callee(env), evalArgs(env), evalKwargs(env));
  }

  private comprehension(node: Node & { kind: 'Comp' }, outer: LocalScope): Fn {
    let scope = new Map(outer);
    const gens: { iter: Fn; assign: (env: Env, v: PyValue) => void; ifs: Fn[] }[] = [];
    for (const g of node.generators) {
      const iter = this.compile(g.iter, scope);
      scope = new Map(scope);
      const assign = this.target(g.target, scope);
      const ifs = g.ifs.map((c) => this.compile(c, scope));
      gens.push({ iter, assign, ifs });
    }
    const isDict = node.comp === 'dict';
    const elt = this.compile(node.elt, scope);
    const value = node.value === null ? null : this.compile(node.value, scope);
    return (env) => {
      const list: PyValue[] = [];
      const dict = new Map<string, PyValue>();
      const run = (level: number): void => {
        const g = gens[level]!;
        for (const item of iterate(g.iter(env))) {
          if (++env.produced > MAX_COMPREHENSION_LENGTH) {
            throw new ExpressionEvalError(
              'IterableTooLong',
              'Comprehension generates too many elements',
            );
          }
          g.assign(env, item);
          let ok = true;
          for (const c of g.ifs) {
            if (!pyTruthy(c(env))) {
              ok = false;
              break;
            }
          }
          if (!ok) continue;
          if (level + 1 < gens.length) run(level + 1);
          else if (isDict) dict.set(requireStrKey(elt(env)), value!(env));
          else list.push(elt(env));
        }
      };
      run(0);
      return isDict ? dict : list;
    };
  }

  private target(node: Node, scope: Map<string, number>): (env: Env, v: PyValue) => void {
    if (node.kind === 'Name') {
      if (node.id === 'True' || node.id === 'False' || node.id === 'None')
        this.fail('cannot assign to a constant', node);
      const slot = this.slots++;
      scope.set(node.id, slot);
      return (env, v) => {
        env.locals[slot] = v;
      };
    }
    if (node.kind === 'Tuple' || node.kind === 'List') {
      const parts = node.elts.map((e) => this.target(e, scope));
      const n = parts.length;
      return (env, v) => {
        const items = iterate(v);
        if (items.length > n) throw valueError(`too many values to unpack (expected ${n})`);
        if (items.length < n)
          throw valueError(`not enough values to unpack (expected ${n}, got ${items.length})`);
        for (let i = 0; i < n; i++) parts[i]!(env, items[i]!);
      };
    }
    return this.fail('a comprehension variable must be a name', node);
  }
}

class CompiledExpression implements Expression {
  private readonly env: Env;
  constructor(
    readonly text: string,
    readonly names: ReadonlySet<string>,
    readonly recordKeys: ReadonlySet<string>,
    readonly wholeRecord: boolean,
    readonly scopeNames: readonly string[],
    readonly tree: Node,
    private readonly fn: Fn,
    slots: number,
  ) {
    this.env = {
      scope: { lookup: () => undefined },
      bound: null,
      locals: new Array<PyValue>(slots).fill(null),
      produced: 0,
    };
  }

  evaluate(scope: ExpressionScope, bound: ArrayLike<number> | null = null): PyValue {
    // One environment per expression, reused: evaluation is synchronous and never re-entrant.
    const env = this.env;
    env.scope = scope;
    env.bound = bound;
    env.produced = 0;
    try {
      return this.fn(env);
    } catch (e) {
      if (e instanceof ExpressionEvalError) throw e;
      if (e instanceof RangeError) {
        const tooDeep = /call stack/i.test(e.message);
        throw new ExpressionEvalError(tooDeep ? 'RecursionError' : 'OverflowError', e.message);
      }
      throw e;
    }
  }
}

export function compileExpression(text: string): Expression {
  const c = new Compiler();
  let fn: Fn;
  let tree: Node;
  try {
    tree = parseExpression(text);
    fn = c.compile(tree, new Map());
  } catch (e) {
    // Pathological nesting exhausts the parser's stack; Python rejects it as well.
    if (e instanceof RangeError)
      throw new ExpressionSyntaxError('the expression is nested too deeply');
    throw e;
  }
  return new CompiledExpression(
    text,
    c.names,
    c.recordKeys,
    c.wholeRecord,
    c.scopeNames,
    tree,
    fn,
    c.slots,
  );
}
