import { InputError } from '../errors';
import { compileExpression, ExpressionSyntaxError, type Expression } from './expression';
import { expressionType, nullable, type Schema } from './schema-types';

/** A property value that removes the property (besides JSON null). */
export const NULL_STRING = '__NULL__';
export const ELSE_OPTION = '__else__';
export const FILTER_OPTION = '__filter__';
export const SOURCE_OPTION = '__source__';
export const ALIAS_OPTION = '__alias__';
export const KEY_PROPERTIES_OPTION = '__key_properties__';

/**
 * Names an expression may read besides the stream's properties (the SDK's evaluation scope); they
 * shadow properties of the same name.
 */
export const SCOPE_NAMES: ReadonlySet<string> = new Set([
  'record',
  '_',
  'config',
  '__stream_name__',
  '__original_stream_name__',
]);

/** The columns LOG_BASED adds: they pass through every map unchanged. */
export const isTapProperty = (name: string): boolean => name.startsWith('_sdc_');

export const isNullDef = (v: unknown): boolean => v === null || v === NULL_STRING;

/** One property of a custom map, in the map's order: removed, or set to an expression's value. */
export interface PropertyOp {
  readonly key: string;
  /** null: the property is removed. */
  readonly expr: Expression | null;
  /**
   * The source property whose value this is, unchanged, when the expression only names it (`old`
   * or `record['old']`): its JSON is copied, never decoded.
   */
  readonly copyFrom: string | null;
}

/** One output stream of a source stream: the SDK's SameRecordTransform or CustomStreamMap. */
export interface StreamMap {
  /** The `stream` of the output's messages. */
  readonly alias: string;
  /** The source stream's name (`__original_stream_name__`). */
  readonly streamName: string;
  readonly schema: Schema;
  readonly keyProperties: readonly string[];
  /** No custom map: records go out as they are (under `alias`). */
  readonly passThrough: boolean;
  readonly filter: Expression | null;
  /** False with `__else__: null`: only key properties and mapped properties are kept. */
  readonly includeByDefault: boolean;
  readonly ops: readonly PropertyOp[];
}

export interface StreamSource {
  readonly streamName: string;
  readonly schema: Schema;
  readonly keyProperties: readonly string[];
}

export function passThroughMap(source: StreamSource, alias = source.streamName): StreamMap {
  return {
    alias,
    streamName: source.streamName,
    schema: source.schema,
    keyProperties: source.keyProperties,
    passThrough: true,
    filter: null,
    includeByDefault: true,
    ops: [],
  };
}

const where = (alias: string, key?: string) =>
  `stream_maps: stream '${alias}'${key === undefined ? '' : `, property '${key}'`}`;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RECORD_KEY = /^(?:record|_)\[(?:'([^'\\]*)'|"([^"\\]*)")\]$/;

/** The source property an expression merely names, if that is all it does. */
function copiedProperty(text: string, properties: Schema): string | null {
  const t = text.trimEnd();
  if (IDENTIFIER.test(t) && !SCOPE_NAMES.has(t) && t !== 'self' && Object.hasOwn(properties, t)) {
    return t;
  }
  const m = RECORD_KEY.exec(t);
  const key = m ? (m[1] ?? m[2]!) : null;
  return key !== null && Object.hasOwn(properties, key) ? key : null;
}

/**
 * Compiles an expression and checks every name it reads against what the SDK would have in scope
 * for it: a property of the stream, a scope name (`self` only for a property the stream has),
 * or a built-in (the expression module leaves those out of `names`).
 */
export function compileChecked(
  text: unknown,
  alias: string,
  key: string | undefined,
  properties: Schema,
): Expression {
  const what = `${where(alias, key)}`;
  if (typeof text !== 'string') {
    throw new InputError(
      `${what}: expected an expression (a string) or null, got ${JSON.stringify(text)}`,
    );
  }
  let expr: Expression;
  try {
    expr = compileExpression(text);
  } catch (e) {
    if (e instanceof ExpressionSyntaxError) {
      throw new InputError(
        `${what}: expression ${JSON.stringify(text)} does not parse: ${e.message}`,
      );
    }
    throw e;
  }
  for (const name of expr.names) {
    if (name === 'fake') {
      throw new InputError(
        `${what}: expression ${JSON.stringify(text)} uses 'fake': Faker is not supported by this tap`,
      );
    }
    if (SCOPE_NAMES.has(name) || Object.hasOwn(properties, name)) continue;
    if (name === 'self' && key !== undefined && Object.hasOwn(properties, key)) continue;
    throw new InputError(
      `${what}: expression ${JSON.stringify(text)} reads '${name}', which is not a property of the stream${name === 'self' ? ` ('self' is the value of the property being mapped, and '${key ?? '__filter__'}' is not one)` : ''} nor a name expressions know`,
    );
  }
  for (const k of expr.recordKeys) {
    if (!Object.hasOwn(properties, k)) {
      throw new InputError(
        `${what}: expression ${JSON.stringify(text)} reads record['${k}'], which is not a property of the stream`,
      );
    }
  }
  return expr;
}

/**
 * The SDK's CustomStreamMap for one output: its schema, key properties, filter and property
 * operations. `def` is the stream's map without `__source__` / `__alias__` (taken by the caller).
 */
export function customStreamMap(
  source: StreamSource,
  alias: string,
  def: Readonly<Record<string, unknown>>,
): StreamMap {
  // The SDK copies the schema shallowly: in a map that keeps unmapped properties, the schema being
  // built and the source's share one `properties`, so a property removed earlier in the map is no
  // longer there for a later `new: old` to take its schema from. Kept, as types follow from it.
  const raw = structuredClone(source.schema);
  if (typeof raw.properties !== 'object' || raw.properties === null) raw.properties = {};
  const rest = { ...def };

  const filterText = rest[FILTER_OPTION];
  delete rest[FILTER_OPTION];
  const filter =
    filterText === undefined || filterText === null
      ? null
      : compileChecked(filterText, alias, FILTER_OPTION, raw.properties as Schema);

  let keyProperties: readonly string[] = source.keyProperties;
  if (KEY_PROPERTIES_OPTION in rest) {
    const kp = rest[KEY_PROPERTIES_OPTION];
    delete rest[KEY_PROPERTIES_OPTION];
    if (kp === null) keyProperties = [];
    else if (Array.isArray(kp) && kp.every((k) => typeof k === 'string')) keyProperties = kp;
    else {
      throw new InputError(
        `${where(alias, KEY_PROPERTIES_OPTION)}: expected a list of property names or null, got ${JSON.stringify(kp)}`,
      );
    }
  }

  let includeByDefault = true;
  if (ELSE_OPTION in rest) {
    if (!isNullDef(rest[ELSE_OPTION])) {
      throw new InputError(
        `${where(alias, ELSE_OPTION)}: only null or "__NULL__" is supported, got ${JSON.stringify(rest[ELSE_OPTION])}`,
      );
    }
    includeByDefault = false;
    delete rest[ELSE_OPTION];
  }

  // The SDK's fresh schema also declares `"$schema": …draft/2020-12`; left out, as no other SCHEMA
  // of the tap names a draft and draft-07 validators (Ajv's default) refuse to compile it.
  const schema: Schema = includeByDefault ? { ...raw } : { type: 'object', properties: {} };
  const properties = schema.properties as Record<string, Schema>;
  const rawProperties = raw.properties as Record<string, Schema>;
  const sourceProperties = source.schema.properties as Schema;
  const ops: PropertyOp[] = [];
  for (const [key, value] of Object.entries(rest)) {
    if (isTapProperty(key)) {
      throw new InputError(
        `${where(alias, key)}: the tap's own ${key} passes through every map unchanged; it cannot be set or removed`,
      );
    }
    if (isNullDef(value)) {
      if (keyProperties.includes(key)) {
        throw new InputError(
          `${where(alias, key)}: removing a key property is not permitted; to remove it, give the stream's key properties with "__key_properties__" (a list, or null for none)`,
        );
      }
      delete properties[key];
      if (Array.isArray(schema.required)) {
        schema.required = (schema.required as unknown[]).filter((r) => r !== key);
      }
      ops.push({ key, expr: null, copyFrom: null });
      continue;
    }
    if (typeof value !== 'string') {
      throw new InputError(
        `${where(alias, key)}: expected an expression (a string), null or "__NULL__", got ${JSON.stringify(value)}`,
      );
    }
    if (value === '') throw new InputError(`${where(alias, key)}: the expression is empty`);
    const existing = nonEmpty(properties[key]) ?? nonEmpty(rawProperties[value]);
    properties[key] = nullable(expressionType(value, existing, raw));
    const expr = compileChecked(value, alias, key, sourceProperties);
    ops.push({ key, expr, copyFrom: copiedProperty(value, sourceProperties) });
  }

  for (const k of keyProperties) {
    if (!Object.hasOwn(properties, k)) {
      throw new InputError(
        `${where(alias)}: key properties [${keyProperties.join(',')}]: property '${k}' is not in the mapped stream's schema`,
      );
    }
  }
  if (!includeByDefault) {
    for (const [k, p] of Object.entries(sourceProperties)) {
      if (isTapProperty(k)) properties[k] = p as Schema;
    }
  }
  return {
    alias,
    streamName: source.streamName,
    schema,
    keyProperties,
    passThrough: false,
    filter,
    includeByDefault,
    ops,
  };
}

function nonEmpty(s: Schema | undefined): Schema | null {
  return s !== undefined && typeof s === 'object' && Object.keys(s).length > 0 ? s : null;
}
