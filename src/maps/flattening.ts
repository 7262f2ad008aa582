import { isLosslessNumber, parse, type LosslessNumber } from 'lossless-json';
import { InputError } from '../errors';

/**
 * Schema flattening as the Meltano SDK does it (`flattening_enabled`, `flattening_max_depth`,
 * `flattening_separator`, `flattening_max_key_length`): object properties whose schema lists
 * `properties` become `parent__child` properties down to the depth; deeper objects, arrays and
 * objects without declared properties become JSON text. The SDK flattens by the SCHEMA, never by
 * what a record happens to hold, so a target sees the same columns for every record.
 */
export interface FlatteningOptions {
  readonly maxDepth: number;
  readonly separator: string;
  readonly maxKeyLength: number;
}

type Raw = Readonly<Record<string, unknown>>;
type Schema = Readonly<Record<string, unknown>>;

const DEFAULT_SEPARATOR = '__';
const DEFAULT_MAX_KEY_LENGTH = 255;

/** The options, or null when flattening is off (disabled, or a depth of 0 as the SDK reads it). */
export function flatteningOptionsOf(raw: Raw): FlatteningOptions | null {
  const enabled = raw.flattening_enabled === true || raw.flattening_enabled === 'true';
  if (!enabled) return null;
  const depth = raw.flattening_max_depth;
  if (depth === undefined || depth === null) {
    throw new InputError(
      `config key 'flattening_enabled' is true but 'flattening_max_depth' is not set (the Meltano SDK requires it too)`,
    );
  }
  const maxDepth = Number(depth);
  if (!Number.isInteger(maxDepth) || maxDepth < 0) {
    throw new InputError(`config key 'flattening_max_depth' must be an integer of at least 0`);
  }
  const separator = raw.flattening_separator ?? DEFAULT_SEPARATOR;
  if (typeof separator !== 'string' || separator === '') {
    throw new InputError(`config key 'flattening_separator' must be a non-empty string`);
  }
  const maxKeyLength = Number(raw.flattening_max_key_length ?? DEFAULT_MAX_KEY_LENGTH);
  if (!Number.isInteger(maxKeyLength) || maxKeyLength < 1) {
    throw new InputError(`config key 'flattening_max_key_length' must be a positive integer`);
  }
  if (maxDepth === 0) return null;
  return Object.freeze({ maxDepth, separator, maxKeyLength });
}

/** Python inflection's `camelize`: `foo_bar` → `FooBar`. */
const camelize = (s: string) => s.replace(/(?:^|_)(.)/gsu, (_m, c: string) => c.toUpperCase());

/**
 * The SDK's `flatten_key`: parent keys and the key joined by the separator; while the result is
 * at least `maxKeyLength` long, each part from the left is abbreviated to its camel-case capitals
 * (or its first three characters when that leaves one letter or none).
 */
export function flattenKey(key: string, parents: readonly string[], o: FlatteningOptions): string {
  const parts = [...parents, key];
  for (let i = 0; i < parts.length && parts.join(o.separator).length >= o.maxKeyLength; i++) {
    const reduced = camelize(parts[i]!).replace(/[a-z]/g, '');
    parts[i] = (
      [...reduced].length > 1 ? reduced : [...parts[i]!].slice(0, 3).join('')
    ).toLowerCase();
  }
  return parts.join(o.separator);
}

const typesOf = (s: Schema): readonly string[] => {
  const t = s.type;
  return typeof t === 'string' ? [t] : Array.isArray(t) ? (t as string[]) : [];
};
const hasType = (s: Schema, t: string) => typesOf(s).includes(t);

/**
 * The SDK's `flatten_schema`. Property by property: an object with declared `properties` above
 * the depth is replaced by its children; an array, or an object without declared properties, is
 * a (nullable if it was) string holding JSON; any other schema is kept. A schema without `type`
 * follows the SDK's rules for `anyOf`-style schemas. Two properties flattening to one name is a
 * config error, as in the SDK.
 */
export function flattenSchema(schema: Schema, o: FlatteningOptions): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const add = (key: string, s: unknown) => {
    if (Object.prototype.hasOwnProperty.call(properties, key)) {
      throw new InputError(`flattening: two properties flatten to the same name '${key}'`);
    }
    properties[key] = s;
  };
  const walk = (node: Schema, parents: string[], level: number) => {
    const props = node.properties as Record<string, Schema> | undefined;
    if (!props) return;
    for (const [name, field] of Object.entries(props)) {
      const key = flattenKey(name, parents, o);
      if ('type' in field) {
        if (hasType(field, 'object') && field.properties && level < o.maxDepth) {
          walk(field, [...parents, name], level + 1);
        } else if (hasType(field, 'array') || hasType(field, 'object')) {
          add(key, { type: hasType(field, 'null') ? ['string', 'null'] : 'string' });
        } else {
          add(key, field);
        }
        continue;
      }
      const first = Object.values(field)[0];
      if (Array.isArray(first) && first.length > 0) {
        const element = first[0] as Schema;
        const t = element.type;
        if (t === 'string' || t === 'array' || t === 'object') {
          add(key, { ...element, type: ['null', t] });
        }
        continue;
      }
      add(key, { type: ['null', 'string'] });
    }
  };
  walk(schema, [], 0);
  return { ...schema, properties };
}

/** One property of a record body: its name and its value as exact JSON text. */
export type JsonEntry = readonly [key: string, json: string];

type Parsed = null | boolean | string | LosslessNumber | Parsed[] | { [k: string]: Parsed };

/** JSON text keeping every number's digits (the value's text is what PostgreSQL sent). */
const parseExact = (json: string) => parse(json) as Parsed;

const isObject = (v: Parsed): v is { [k: string]: Parsed } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !isLosslessNumber(v);

/**
 * A JSON string literal as Python's json (ensure_ascii, the SDK's serializer) writes it: every
 * non-ASCII character as `\uXXXX` (UTF-16 units, lowercase hex), so the JSON text the SDK puts in a
 * flattened property is the same string here, character for character.
 */
function asciiString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The SDK's `serialize_json` of a parsed value: compact separators, ASCII only, digits kept. */
function serialize(v: Parsed): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return asciiString(v);
  if (isLosslessNumber(v)) return v.value;
  if (Array.isArray(v)) return `[${v.map(serialize).join(',')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${asciiString(k)}:${serialize(x)}`)
    .join(',')}}`;
}

/**
 * The SDK's `flatten_record` over a body's entries, given the flattened schema: an object whose
 * flattened key is not a property of that schema (so its children are) is descended into, above
 * the depth; an object or array left whole becomes its JSON text. The SDK leaves a scalar as it is
 * even where the flattened schema says string (a jsonb `5`); here it becomes its JSON text too, so
 * every RECORD still validates against its SCHEMA.
 */
export function flattenRecordEntries(
  entries: readonly JsonEntry[],
  flatSchema: Schema,
  o: FlatteningOptions,
): JsonEntry[] {
  const props = (flatSchema.properties ?? {}) as Record<string, Schema>;
  const out: JsonEntry[] = [];
  /** A number or boolean where the flattened schema allows only a string (or null). */
  const needsText = (key: string, json: string) => {
    const s = props[key];
    if (s === undefined || json === 'null' || json.charCodeAt(0) === 0x22 /* " */) return false;
    const types = typesOf(s);
    return types.length > 0 && types.every((t) => t === 'string' || t === 'null');
  };
  const leaf = (key: string, json: string) =>
    out.push([key, needsText(key, json) ? JSON.stringify(json) : json]);
  const visit = (key: string, v: Parsed, parents: string[], level: number) => {
    const flat = flattenKey(key, parents, o);
    if (isObject(v) && !(flat in props) && level < o.maxDepth) {
      for (const [k, x] of Object.entries(v)) visit(k, x, [...parents, key], level + 1);
    } else if (isObject(v) || Array.isArray(v)) {
      out.push([flat, JSON.stringify(serialize(v))]);
    } else {
      leaf(flat, typeof v === 'string' ? JSON.stringify(v) : serialize(v));
    }
  };
  for (const [key, json] of entries) {
    const first = json.charCodeAt(0);
    // Only a JSON object or array can change shape; anything else keeps its exact bytes.
    if (first === 0x7b /* { */ || first === 0x5b /* [ */) visit(key, parseExact(json), [], 0);
    else leaf(flattenKey(key, [], o), json);
  }
  return out;
}
