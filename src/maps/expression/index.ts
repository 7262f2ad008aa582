// PLACEHOLDER until branch `expr` lands: the contract's names with a tiny evaluator (bare names,
// string literals, record['k']). The merge replaces this file with the real module.
import type Decimal from 'decimal.js';

export type PyValue =
  null | boolean | bigint | number | Decimal | string | PyValue[] | Map<string, PyValue>;
export type PyDict = Map<string, PyValue>;

export class ExpressionSyntaxError extends Error {}
export class ExpressionEvalError extends Error {}

export interface ExpressionScope {
  lookup(name: string): PyValue | undefined;
}

export interface Expression {
  readonly text: string;
  readonly names: ReadonlySet<string>;
  readonly recordKeys: ReadonlySet<string>;
  readonly wholeRecord: boolean;
  evaluate(scope: ExpressionScope): PyValue;
}

const BUILTINS = new Set([
  'md5',
  'sha256',
  'int',
  'float',
  'str',
  'bool',
  'json',
  'datetime',
  'len',
]);

export function compileExpression(text: string): Expression {
  const t = text.trim();
  if (t === '' || /^[)\]*/+]/.test(t) || /[(+*/-]$/.test(t)) {
    throw new ExpressionSyntaxError(`invalid syntax at column 1`);
  }
  const stripped = t.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "''");
  const recordKeys = new Set<string>();
  for (const m of t.matchAll(/\b(?:record|_)\[['"]([^'"]*)['"]\]/g)) recordKeys.add(m[1]!);
  const names = new Set<string>();
  let wholeRecord = false;
  const withoutKeys = stripped.replace(/\b(record|_)\[''\]/g, 'R');
  for (const m of withoutKeys.matchAll(/(?<![.\w])([A-Za-z_]\w*)/g)) {
    const n = m[1]!;
    if (!BUILTINS.has(n) && n !== 'R') names.add(n);
    if (n === 'record' || n === '_') wholeRecord = true;
  }
  if (recordKeys.size > 0) {
    names.add('record');
  }
  return {
    text,
    names,
    recordKeys,
    wholeRecord,
    evaluate(scope) {
      const lit = /^'([^'\\]*)'$/.exec(t);
      if (lit) return lit[1]!;
      const key = /^(?:record|_)\[['"]([^'"]*)['"]\]$/.exec(t);
      if (key) {
        const r = scope.lookup('record');
        if (!(r instanceof Map))
          throw new ExpressionEvalError(`NameError: name 'record' is not defined`);
        const v = r.get(key[1]!);
        if (v === undefined) throw new ExpressionEvalError(`KeyError: '${key[1]}'`);
        return v;
      }
      if (/^[A-Za-z_]\w*$/.test(t)) {
        const v = scope.lookup(t);
        if (v === undefined) throw new ExpressionEvalError(`NameError: name '${t}' is not defined`);
        return v;
      }
      throw new ExpressionEvalError(`not supported by the placeholder: ${t}`);
    },
  };
}

export function pyFromJson(json: string): PyValue {
  return convert(JSON.parse(json) as unknown);
}
function convert(v: unknown): PyValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(convert);
  return new Map(Object.entries(v as object).map(([k, x]) => [k, convert(x)]));
}

export function pyToJson(value: PyValue): string {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(pyToJson).join(', ')}]`;
  if (value instanceof Map) {
    return `{${[...value].map(([k, v]) => `${JSON.stringify(k)}: ${pyToJson(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

export function pyTruthy(value: PyValue): boolean {
  if (value === null || value === false || value === '' || value === 0 || value === 0n)
    return false;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  return true;
}

export function pyTypeName(value: PyValue): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Map) return 'dict';
  return 'decimal.Decimal';
}
