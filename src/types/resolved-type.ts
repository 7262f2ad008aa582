/**
 * A column's type after discovery resolved it through pg_type: domains are replaced by their base
 * type (recursively), arrays by their element type plus a dimension count. Type mapping (to JSON
 * Schema, `src/types/json-schema-mapping.ts`) and value conversion (`src/values/`) are two sibling
 * tables keyed by `base.name`, so FULL_TABLE and LOG_BASED can never disagree about a type.
 */
export interface ResolvedType {
  /** What `format_type(atttypid, atttypmod)` prints for the column, e.g. `numeric(12,2)`,
   * `character varying(50)`, `integer[]`, a domain's own name. Goes to `sql-datatype`. */
  readonly sqlType: string;
  /** The scalar type under any domains and arrays. */
  readonly base: BaseType;
  /** 0 for a scalar; otherwise the array's dimensions as declared (at least 1). PostgreSQL does not
   * enforce declared dimensions, so value conversion accepts any depth. */
  readonly arrayDims: number;
  /** The domain the column was declared with, when there was one (outermost first). */
  readonly domains: readonly string[];
  /**
   * Set by a sync, never by discovery, on a scalar column that is one of the stream's key
   * properties. A key value must never become null (targets upsert by it: distinct rows would
   * collapse into one), so a value JSON cannot carry as itself (NaN, ±Infinity, ±infinity, BC or
   * year > 9999) is sent as PostgreSQL's text whatever `temporal_out_of_range` says, and the
   * stream's SCHEMA allows that text (src/sync/key-properties.ts).
   */
  readonly keyColumn?: boolean;
}

/** pg_type.typtype of the resolved base: base, enum, range, multirange, composite, pseudo. */
export type TypType = 'b' | 'e' | 'r' | 'm' | 'c' | 'p';

export interface BaseType {
  /** pg_type.typname for built-in types (`int4`, `numeric`, `timestamptz`, `varchar`, …); for
   * user-defined types (enums, composites, ranges, extension types like citext or hstore) its name
   * as well, with `schema` saying where it lives. */
  readonly name: string;
  readonly schema: string;
  readonly typtype: TypType;
  /** pg_type.typcategory, the fallback for types the tables do not name (e.g. extension types). */
  readonly category: string;
  /** numeric(p,s), varchar(n), bit(n), timestamp(p): from the type modifier (domain's if any). */
  readonly precision?: number;
  readonly scale?: number;
  readonly length?: number;
  /** Enum labels in sort order. */
  readonly enumLabels?: readonly string[];
  /**
   * A composite's attributes in attnum order, dropped ones left out (the fields its row literal
   * prints), each resolved as a column of that type would be. Only the setting
   * `composite_as_object` uses them; a composite whose attributes were not read has none.
   */
  readonly attributes?: ReadonlyArray<CompositeAttribute>;
}

export interface CompositeAttribute {
  readonly name: string;
  readonly type: ResolvedType;
}

/**
 * The attributes a composite value is sent as a JSON object of, or undefined when its value is its
 * row literal as a string (the setting is off, the base is no composite, or its attributes are
 * unknown). The one test the schema mapping and value conversion share, so they cannot disagree.
 */
export function objectAttributes(
  base: BaseType,
  compositeAsObject: boolean,
): ReadonlyArray<CompositeAttribute> | undefined {
  return compositeAsObject && base.typtype === 'c' ? base.attributes : undefined;
}
