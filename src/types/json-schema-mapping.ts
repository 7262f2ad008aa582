import type { JsonSchema, JsonSchemaType } from '../catalog/catalog-types';
import {
  objectAttributes,
  type BaseType,
  type CompositeAttribute,
  type ResolvedType,
} from './resolved-type';

/**
 * PostgreSQL type → JSON Schema of a column, the sibling of the value-conversion table in
 * src/values/: each rule describes the JSON value that table produces for the type. Keyed by
 * `base.name`, after domains and arrays were resolved (src/discovery/resolve-type.ts).
 *
 * Conventions every rule follows, because of what Singer consumers accept:
 * - `type` is always a list; `"null"` comes first unless the column is a primary-key column
 *   (pipelinewise's convention; NOT NULL alone does not drop it, as LOG_BASED makes every column
 *   nullable anyway and constraints change).
 * - Only inclusive `minimum`/`maximum`: draft-4 boolean `exclusiveMaximum` makes
 *   pipelinewise-target-postgres's draft-7 validator reject every value.
 * - No number in a schema that JSON cannot carry exactly.
 */

type ValueType = Exclude<JsonSchemaType, 'null'>;

/** A rule's result: the JSON types of a non-null value and the keywords that narrow them. */
export interface ScalarSchema {
  readonly types: readonly ValueType[];
  readonly format?: 'date' | 'date-time';
  /** Allowed values; `null` is added when the column is nullable. */
  readonly enum?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly multipleOf?: number;
  readonly maxLength?: number;
  readonly additionalProperties?: JsonSchema;
  /** A composite sent as an object: each attribute as a column of its type. */
  readonly properties?: Readonly<Record<string, JsonSchema>>;
}

export type ScalarRule = (base: BaseType) => ScalarSchema;

const STRING: ScalarRule = () => ({ types: ['string'] });
const NUMBER: ScalarRule = () => ({ types: ['number'] });
const BOOLEAN: ScalarRule = () => ({ types: ['boolean'] });

/** Precision (and |scale|) up to which numeric(p,s) gets `multipleOf`: consumers check it with
 * decimals, and singer-check-tap crashes beyond 28 digits. */
const MAX_MULTIPLE_OF_PRECISION = 15;

const numeric: ScalarRule = ({ precision, scale }) =>
  // No minimum/maximum: ±(10^(p-s) - 10^-s) is exact as a decimal but not as a double, and a
  // consumer that compares a decimal value with a float bound rejects the largest values.
  precision !== undefined &&
  scale !== undefined &&
  precision <= MAX_MULTIPLE_OF_PRECISION &&
  Math.abs(scale) <= MAX_MULTIPLE_OF_PRECISION
    ? { types: ['number'], multipleOf: Number(`1e${-scale}`) }
    : { types: ['number'] };

const withMaxLength: ScalarRule = ({ length }) =>
  length !== undefined ? { types: ['string'], maxLength: length } : { types: ['string'] };

const enumOf: ScalarRule = ({ enumLabels }) => ({ types: ['string'], enum: enumLabels ?? [] });

/**
 * json/jsonb hold any JSON value, scalars included (`'5'::jsonb`, `'"x"'::json`), and records
 * carry them parsed. So every JSON type is allowed, not only object/array, or a scalar document
 * would fail validation; `object` and `array` come first because targets that map a multi-type
 * property by its first structured type (pipelinewise-target-postgres: jsonb) must see them. A
 * schema without `type` (`{}`) would accept everything too, but target-postgres gives such a
 * property no column at all.
 */
const ANY_JSON: ScalarRule = () => ({ types: ['object', 'array', 'string', 'number', 'boolean'] });

/** hstore: an object of text values, NULL values included (`'a=>NULL'`). */
const HSTORE: ScalarRule = () => ({
  types: ['object'],
  additionalProperties: { type: ['null', 'string'] },
});

/**
 * Rules for built-in types (schema pg_catalog) and the extension types in EXTENSION_TYPES, by
 * pg_type.typname. Every type not named here is a string (TYPTYPE_RULES, CATEGORY_RULES).
 */
export const TYPE_RULES: Readonly<Record<string, ScalarRule>> = {
  // int8 has no bounds: 9223372036854775807 is not a double, and JSON.stringify would print
  // 9223372036854775808, an inexact number in the catalog.
  int2: () => ({ types: ['integer'], minimum: -32768, maximum: 32767 }),
  int4: () => ({ types: ['integer'], minimum: -2147483648, maximum: 2147483647 }),
  int8: () => ({ types: ['integer'] }),
  numeric,
  // NaN and ±Infinity become null in records.
  float4: NUMBER,
  float8: NUMBER,
  // PostgreSQL prints money with a currency symbol and group separators (lc_monetary): `$1,234.50`.
  money: STRING,
  bool: BOOLEAN,
  varchar: withMaxLength,
  bpchar: withMaxLength,
  bit: withMaxLength,
  varbit: withMaxLength,
  text: STRING,
  name: STRING,
  char: STRING,
  citext: STRING,
  uuid: STRING,
  json: ANY_JSON,
  jsonb: ANY_JSON,
  jsonpath: STRING,
  xml: STRING,
  bytea: STRING, // hex digits
  date: () => ({ types: ['string'], format: 'date' }),
  timestamp: () => ({ types: ['string'], format: 'date-time' }),
  timestamptz: () => ({ types: ['string'], format: 'date-time' }),
  // No `format: time`: consumers accept only HH:MM:SS there, and fractions and offsets are kept.
  time: STRING,
  timetz: STRING,
  interval: STRING, // ISO 8601 (IntervalStyle = iso_8601)
  hstore: HSTORE,
  // An oid is an unsigned 32-bit integer, printed as digits (and emitted as a JSON integer).
  oid: () => ({ types: ['integer'], minimum: 0, maximum: 4294967295 }),
  // Network, geometric, text search, other system identifiers: their text as is. xid and friends
  // print digits too, but wrap around, and the reg* types print names.
  inet: STRING,
  cidr: STRING,
  macaddr: STRING,
  macaddr8: STRING,
  point: STRING,
  line: STRING,
  lseg: STRING,
  box: STRING,
  path: STRING,
  polygon: STRING,
  circle: STRING,
  tsvector: STRING,
  tsquery: STRING,
  pg_lsn: STRING,
  xid: STRING,
  xid8: STRING,
  cid: STRING,
  tid: STRING,
};

/** Extension types named in TYPE_RULES: found by name whatever schema they were installed in. */
export const EXTENSION_TYPES: ReadonlySet<string> = new Set(['citext', 'hstore']);

/** By pg_type.typtype, before any name: a user enum or composite may be called `date`. */
const TYPTYPE_RULES: Readonly<Partial<Record<BaseType['typtype'], ScalarRule>>> = {
  e: enumOf,
  r: STRING, // ranges and multiranges print as `[1,5)`, `{[1,5),[7,9)}`
  m: STRING,
  c: STRING, // a composite prints as a row literal `(1,"a b")` (unless `composite_as_object`)
  p: STRING,
};

/**
 * Fallback for base types no rule names (extension types), by pg_type.typcategory. Only an enum's
 * labels are known for sure; any other unknown type's text output is only promised to be a
 * string (an extension's "numeric" type need not print a JSON number), so it is a string.
 */
const CATEGORY_RULES: Readonly<Record<string, ScalarRule>> = {
  E: enumOf,
};

export function scalarRuleFor(base: BaseType): ScalarRule {
  const byTyptype = TYPTYPE_RULES[base.typtype];
  if (byTyptype) return byTyptype;
  const builtIn = base.schema === 'pg_catalog' || EXTENSION_TYPES.has(base.name);
  const named = builtIn && Object.hasOwn(TYPE_RULES, base.name) ? TYPE_RULES[base.name] : undefined;
  const byCategory = Object.hasOwn(CATEGORY_RULES, base.category)
    ? CATEGORY_RULES[base.category]
    : undefined;
  return named ?? byCategory ?? STRING;
}

function toJsonSchema(s: ScalarSchema, nullable: boolean): JsonSchema {
  const { types, enum: values, ...keywords } = s;
  return {
    type: nullable ? ['null', ...types] : [...types],
    ...(values ? { enum: nullable ? [...values, null] : [...values] } : {}),
    ...keywords,
  };
}

export interface PropertyOptions {
  /** False only for primary-key columns. */
  readonly nullable: boolean;
  /** `ValuePolicy.compositeAsObject`: composites are objects with `properties`, not strings. */
  readonly compositeAsObject?: boolean;
}

/**
 * A composite sent as an object: every attribute is a property, described exactly as a column of
 * its type (nullable: any attribute may be NULL), nested composites included.
 */
function compositeObject(attributes: ReadonlyArray<CompositeAttribute>): ScalarSchema {
  return {
    types: ['object'],
    // Object.fromEntries defines own properties, so an attribute named `__proto__` stays one.
    properties: Object.fromEntries(
      attributes.map((a) => [
        a.name,
        jsonSchemaFor(a.type, { nullable: true, compositeAsObject: true }),
      ]),
    ),
  };
}

/** PostgreSQL's MAXDIM: no array value has more dimensions. */
export const MAX_ARRAY_DIMS = 6;

/**
 * What sits inside an array of `dims` dimensions at most: an element, or (while dimensions are
 * left) an array of the same. A finite nesting, not a `$ref`, as Singer targets do not resolve
 * references.
 */
function nestedItems(element: JsonSchema, dims: number): JsonSchema {
  if (dims <= 1) return element;
  return { anyOf: [element, { type: ['array'], items: nestedItems(element, dims - 1) }] };
}

/**
 * The JSON Schema of a column. An array column accepts every depth PostgreSQL can store, not only
 * the declared one: PostgreSQL does not enforce declared dimensions (an `int[]` may hold
 * `{{1,2}}`, and a column made by CREATE TABLE AS declares none), and a record that fails its
 * schema stops a validating target. The column may be null, inner arrays cannot (PostgreSQL
 * arrays are rectangular), elements always may.
 *
 * @example
 * jsonSchemaFor(numeric(12,2)[], { nullable: true })
 * // { type: ['null', 'array'], items: { anyOf: [
 * //   { type: ['null', 'number'], multipleOf: 0.01 },
 * //   { type: ['array'], items: { anyOf: [ … ] } } ] } }   (six dimensions in all)
 * jsonSchemaFor(address, { nullable: true, compositeAsObject: true })
 * // { type: ['null', 'object'], properties: {
 * //   street: { type: ['null', 'string'] },
 * //   zip: { type: ['null', 'integer'], minimum: -2147483648, maximum: 2147483647 } } }
 */
export function jsonSchemaFor(
  type: ResolvedType,
  { nullable, compositeAsObject = false }: PropertyOptions,
): JsonSchema {
  const attributes = objectAttributes(type.base, compositeAsObject);
  const scalar = attributes ? compositeObject(attributes) : scalarRuleFor(type.base)(type.base);
  if (type.arrayDims === 0) return toJsonSchema(scalar, nullable);
  return {
    type: nullable ? ['null', 'array'] : ['array'],
    items: nestedItems(toJsonSchema(scalar, true), MAX_ARRAY_DIMS),
  };
}
