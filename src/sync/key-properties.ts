import type { SelectedStream } from '../catalog/stream-selection';
import type { ResolvedType } from '../types/resolved-type';
import { valueKindOf, type ValueKind } from '../values';

type Property = Readonly<Record<string, unknown>>;

/**
 * What a key column of each kind sends when JSON cannot carry its value as itself: PostgreSQL's
 * text (src/values marks the column `keyColumn`). Only these kinds have such values.
 */
const KEY_TEXT_BRANCH: Partial<Readonly<Record<ValueKind, Property>>> = {
  numeric: { type: ['string'], enum: ['NaN', 'Infinity', '-Infinity'] },
  float: { type: ['string'], enum: ['NaN', 'Infinity', '-Infinity'] },
  // infinity, -infinity, BC and years past 9999, as PostgreSQL prints them
  date: { type: ['string'] },
  timestamp: { type: ['string'] },
  timestamptz: { type: ['string'] },
};

/**
 * A key property's schema that also admits the text its column sends for NaN, infinity or a BC
 * date. The column's own schema stays the first branch of an `anyOf`: targets that map a property
 * by its first branch (pipelinewise-target-postgres) still type the column as before (and a
 * PostgreSQL target reads `infinity` or `NaN` back), while validating consumers accept the text
 * through the second. A property that already has `anyOf` (edited by hand, or written by an
 * earlier run of this function) is left as it is.
 */
export function keyPropertySchema(property: Property, type: ResolvedType): Property {
  const branch = type.arrayDims === 0 ? KEY_TEXT_BRANCH[valueKindOf(type.base)] : undefined;
  if (!branch || 'anyOf' in property) return property;
  return { anyOf: [property, branch] };
}

/**
 * The stream and its column types as a sync uses them: each scalar key property's type marked
 * `keyColumn` (its values are never null, see ResolvedType) and its schema widened to match
 * (keyPropertySchema).
 */
export function withKeyColumns(
  stream: SelectedStream,
  types: readonly ResolvedType[],
): { stream: SelectedStream; types: ResolvedType[] } {
  const keys = new Set(stream.keyProperties);
  const marked = stream.columns.map((c, i) => {
    const t = types[i]!;
    return keys.has(c) && t.arrayDims === 0 ? { ...t, keyColumn: true } : t;
  });
  const props = (stream.schema.properties ?? {}) as Record<string, Property>;
  let changed = false;
  const properties = Object.fromEntries(
    Object.entries(props).map(([name, p]) => {
      const i = stream.columns.indexOf(name);
      if (i < 0 || !keys.has(name)) return [name, p];
      const widened = keyPropertySchema(p, marked[i]!);
      changed ||= widened !== p;
      return [name, widened];
    }),
  );
  return {
    stream: changed ? { ...stream, schema: { ...stream.schema, properties } } : stream,
    types: marked,
  };
}
