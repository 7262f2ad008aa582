import type { JsonSchema } from '../catalog/catalog-types';
import type { SelectedStream } from '../catalog/stream-selection';
import { jsonSchemaFor } from '../types/json-schema-mapping';
import type { ResolvedType } from '../types/resolved-type';

/** A column whose SCHEMA property now follows its live type instead of the catalog. */
export interface Retyped {
  readonly column: string;
  /** The type at discovery (`sql-datatype`), when the catalog says. */
  readonly discovered: string | undefined;
  readonly live: string;
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Records carry each column's value as its type is now, so the SCHEMA
 * must describe that type, not the one the catalog was discovered with (`"abc"` under `integer`,
 * 3000000000 over int4's `maximum`: a validating target rejects the record). A column's property
 * is replaced by the live type's mapping when it differs from it and the column's type changed
 * since discovery (`sql-datatype` is not the live type), or when the catalog does not say
 * (a catalog written by another tool). A property that differs while `sql-datatype` still names
 * the live type was edited on purpose and is kept, except a composite's (also in an array or a
 * domain): its records' shape follows `composite_as_object` and the type's attributes now (ALTER
 * TYPE … ADD ATTRIBUTE keeps the name), neither of which `sql-datatype` shows.
 */
export function withLiveTypes(
  stream: SelectedStream,
  types: readonly ResolvedType[],
  /** Columns the table no longer has (LOG_BASED keeps them in its schema). */
  gone: ReadonlySet<string> = new Set(),
  compositeAsObject = false,
): { stream: SelectedStream; retyped: Retyped[] } {
  const props = (stream.schema.properties ?? {}) as Record<string, JsonSchema>;
  const retyped: Retyped[] = [];
  const properties = { ...props };
  stream.columns.forEach((column, i) => {
    if (gone.has(column)) return;
    const type = types[i]!;
    const live = jsonSchemaFor(type, {
      nullable: !stream.keyProperties.includes(column),
      compositeAsObject,
    });
    if (sameJson(props[column], live)) return;
    const discovered = stream.sqlDatatypes[column];
    if (discovered === type.sqlType && type.base.typtype !== 'c') return;
    properties[column] = live;
    retyped.push({ column, discovered, live: type.sqlType });
  });
  if (retyped.length === 0) return { stream, retyped };
  return { stream: { ...stream, schema: { ...stream.schema, properties } }, retyped };
}
