import type { BaseType, ResolvedType, TypType } from '../types/resolved-type';
import type { ColumnRow, TypeRow } from './introspection';

/** PostgreSQL's VARHDRSZ: varlena types (numeric, varchar, bpchar) add it to their typmod. */
const VARHDRSZ = 4;
/** interval's typmod keeps the precision in its low 16 bits; this value means "not given". */
const INTERVAL_FULL_PRECISION = 0xffff;
/** Domains over domains over arrays of domains are legal; a cycle is not, but never loop. */
const MAX_DEPTH = 64;

const TYPTYPES: ReadonlySet<string> = new Set<TypType>(['b', 'e', 'r', 'm', 'c', 'p']);

type Modifiers = Pick<BaseType, 'precision' | 'scale' | 'length'>;

/**
 * numeric's typmod is `((precision << 16) | (scale & 0x7ff)) + VARHDRSZ`. Since PostgreSQL 15 the
 * scale may be negative (numeric(5,-2)) and is an 11-bit two's complement; for the scales older
 * servers allow (0..1000) this equals `(typmod - 4) & 0xffff`.
 */
function numericModifiers(typmod: number): Modifiers {
  if (typmod < VARHDRSZ) return {};
  const t = typmod - VARHDRSZ;
  return { precision: (t >> 16) & 0xffff, scale: ((t & 0x7ff) ^ 1024) - 1024 };
}

/** What a column's type modifier says, per base type (see format_type in PostgreSQL's sources). */
function modifiersFor(name: string, typmod: number): Modifiers {
  switch (name) {
    case 'numeric':
      return numericModifiers(typmod);
    case 'varchar':
    case 'bpchar':
      return typmod >= VARHDRSZ ? { length: typmod - VARHDRSZ } : {};
    case 'bit':
    case 'varbit':
      return typmod >= 0 ? { length: typmod } : {};
    case 'time':
    case 'timetz':
    case 'timestamp':
    case 'timestamptz':
      return typmod >= 0 ? { precision: typmod } : {};
    case 'interval': {
      const precision = typmod & 0xffff;
      return typmod >= 0 && precision !== INTERVAL_FULL_PRECISION ? { precision } : {};
    }
    default:
      return {};
  }
}

function baseOf(
  t: TypeRow,
  typmod: number,
  types: ReadonlyMap<string, TypeRow>,
  depth: number,
): BaseType {
  return {
    name: t.name,
    schema: t.schema,
    // A pseudo-type cannot be a column type, but an unexpected typtype must not break discovery.
    typtype: TYPTYPES.has(t.typtype) ? (t.typtype as TypType) : 'b',
    category: t.category,
    ...modifiersFor(t.name, typmod),
    ...(t.typtype === 'e' ? { enumLabels: t.enumLabels ?? [] } : {}),
    ...(t.typtype === 'c' && t.attributes
      ? {
          attributes: t.attributes.map((a) => ({
            name: a.name,
            type: resolveAt(a, types, depth + 1),
          })),
        }
      : {}),
  };
}

/** A type the query did not return (dropped meanwhile): a string by the mapping's fallback. */
function unknownBase(sqlType: string): BaseType {
  return { name: sqlType, schema: '', typtype: 'b', category: 'X' };
}

/**
 * Resolves a column's type through domains (recursively) and arrays to its scalar base; a
 * composite base carries its attributes, each resolved the same way.
 *
 * - The modifier that applies is the column's own (`numeric(10,2)[]` keeps it on the column) or,
 *   for a domain column, the first one met going down (`CREATE DOMAIN d AS numeric(10,2)`).
 * - Each array met adds its declared dimensions: the column's attndims, or a domain's typndims
 *   for a domain over an array; at least 1, as views and CREATE TABLE AS record 0.
 */
export function resolveColumnType(
  column: Pick<ColumnRow, 'typeOid' | 'typmod' | 'sqlType' | 'dims'>,
  types: ReadonlyMap<string, TypeRow>,
): ResolvedType {
  return resolveAt(column, types, 0);
}

/**
 * `depth` counts every step taken so far, into composite attributes too: PostgreSQL forbids a
 * composite that contains itself, but a broken catalog must not recurse forever.
 */
function resolveAt(
  column: Pick<ColumnRow, 'typeOid' | 'typmod' | 'sqlType' | 'dims'>,
  types: ReadonlyMap<string, TypeRow>,
  start: number,
): ResolvedType {
  const domains: string[] = [];
  let oid = column.typeOid;
  let typmod = column.typmod;
  let declaredDims = column.dims;
  let arrayDims = 0;
  for (let depth = start; depth < MAX_DEPTH; depth++) {
    const t = types.get(oid);
    if (!t) break;
    if (t.typtype === 'd' && t.baseTypeOid) {
      domains.push(t.name);
      if (typmod === -1) typmod = t.typmod;
      if (t.ndims > 0) declaredDims = t.ndims;
      oid = t.baseTypeOid;
    } else if (t.elementOid) {
      arrayDims += Math.max(1, declaredDims);
      declaredDims = 0;
      oid = t.elementOid;
    } else {
      return {
        sqlType: column.sqlType,
        base: baseOf(t, typmod, types, depth),
        arrayDims,
        domains,
      };
    }
  }
  return { sqlType: column.sqlType, base: unknownBase(column.sqlType), arrayDims, domains };
}

/** Indexes the query's type rows by oid. */
export function typesByOid(types: readonly TypeRow[]): ReadonlyMap<string, TypeRow> {
  return new Map(types.map((t) => [t.oid, t]));
}
