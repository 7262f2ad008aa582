/**
 * What `catalog-query.ts` reads from pg_catalog, as plain data: the input of the pure steps
 * (`resolve-type.ts`, `build-catalog.ts`), so they can be tested with hand-built fixtures.
 * OIDs are kept as decimal strings: they are only ever compared, and an oid is unsigned 32-bit.
 */

/** pg_class.relkind of a stream: table, view, materialized view, partitioned table. */
export type RelationKind = 'r' | 'v' | 'm' | 'p';

export interface RelationRow {
  readonly oid: string;
  readonly schema: string;
  readonly name: string;
  readonly kind: RelationKind;
  /** reltuples (≥ 0; -1 "never analysed" counts as 0); for a partitioned table, its leaves' sum. */
  readonly rowEstimate: number;
  /** Primary key columns in key order; empty when there is none. */
  readonly primaryKey: readonly string[];
  /** relpersistence 'u': writes no WAL, so no change of it can be decoded. */
  readonly unlogged: boolean;
  /** relreplident: d default (the primary key), f full, i using index, n nothing. Views: n. */
  readonly replicaIdentity: ReplicaIdentityCode;
  /** The REPLICA IDENTITY USING INDEX index's columns in index order; empty otherwise. */
  readonly replicaIdentityIndex: readonly string[];
}

export type ReplicaIdentityCode = 'd' | 'f' | 'i' | 'n';

export interface ColumnRow {
  readonly relationOid: string;
  /** attnum: table order. */
  readonly position: number;
  readonly name: string;
  readonly typeOid: string;
  /** atttypmod; -1 when the type has no modifier. */
  readonly typmod: number;
  /** format_type(atttypid, atttypmod). */
  readonly sqlType: string;
  readonly notNull: boolean;
  /** attndims: declared array dimensions (0 for scalars, and for some array columns of views). */
  readonly dims: number;
}

export interface TypeRow {
  readonly oid: string;
  readonly name: string;
  readonly schema: string;
  /** b base, c composite, d domain, e enum, p pseudo, r range, m multirange. */
  readonly typtype: string;
  readonly category: string;
  /** A domain's base type. */
  readonly baseTypeOid: string | null;
  /** A domain's typtypmod (its base type's modifier, e.g. numeric(10,2)); else -1. */
  readonly typmod: number;
  /** A domain over an array: the array's declared dimensions. */
  readonly ndims: number;
  /** A true array type's element (not set for fixed-length types like point or name). */
  readonly elementOid: string | null;
  /** An enum's labels in sort order. */
  readonly enumLabels: readonly string[] | null;
  /** A composite's attributes (pg_attribute of typrelid) in attnum order, dropped ones left out. */
  readonly attributes?: readonly AttributeRow[] | null;
}

/** One attribute of a composite type: what a column of its type would say about it. */
export type AttributeRow = Pick<ColumnRow, 'name' | 'typeOid' | 'typmod' | 'sqlType' | 'dims'>;

export interface Introspection {
  readonly relations: readonly RelationRow[];
  /** Every column of every relation, each relation's in attnum order. */
  readonly columns: readonly ColumnRow[];
  /** The column types and every type reachable from them through domains, arrays and composite
   * attributes. */
  readonly types: readonly TypeRow[];
}
