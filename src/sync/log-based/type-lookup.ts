import { TYPE_ROWS_JSON, TYPE_WALK_STEP, type Queryable } from '../../discovery/catalog-query';
import type { TypeRow } from '../../discovery/introspection';
import { resolveColumnType, typesByOid } from '../../discovery/resolve-type';
import type { ResolvedType } from '../../types/resolved-type';

/**
 * The type of one Relation column, read from pg_type: the same rows and the same resolution
 * (domains, arrays, modifiers, composite attributes) as discovery, so a column added while streaming maps exactly as
 * discovery would have mapped it.
 */
const TYPE_QUERY = `
WITH RECURSIVE typ(oid) AS (
  SELECT $1::oid
  UNION
${TYPE_WALK_STEP}
)
SELECT json_build_object(
  'sqlType', format_type($1::oid, $2::int4),
  'types', (
${TYPE_ROWS_JSON}
)::text AS doc`;

export class TypeLookup {
  private readonly cache = new Map<string, ResolvedType>();

  constructor(private readonly client: Queryable) {}

  /**
   * @param dims declared array dimensions (a Relation does not carry attndims: 0 counts as 1 for
   *   an array, as for views).
   */
  async resolve(typeOid: number, typmod: number, dims = 0): Promise<ResolvedType> {
    const key = `${typeOid}/${typmod}/${dims}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const r = await this.client.query<{ doc: string }>(TYPE_QUERY, [String(typeOid), typmod]);
    const doc = JSON.parse(r.rows[0]!.doc) as { sqlType: string | null; types: TypeRow[] };
    const type = resolveColumnType(
      { typeOid: String(typeOid), typmod, sqlType: doc.sqlType ?? `oid ${typeOid}`, dims },
      typesByOid(doc.types),
    );
    this.cache.set(key, type);
    return type;
  }
}

/** A column as the server has it when streaming starts. */
export interface CurrentColumn {
  readonly typeOid: number;
  readonly typmod: number;
  /** GENERATED ALWAYS AS (stored, or virtual on PostgreSQL 18). */
  readonly generated: boolean;
}

/**
 * The current type of every column of `tables` (schema, table), and whether it is generated,
 * keyed by `[schema, table]` JSON.
 */
export async function currentColumnTypes(
  client: Queryable,
  tables: readonly (readonly [string, string])[],
): Promise<Map<string, Map<string, CurrentColumn>>> {
  const r = await client.query<{
    s: string;
    t: string;
    name: string;
    oid: string;
    typmod: number;
    generated: string;
  }>(
    `SELECT n.nspname AS s, c.relname AS t, a.attname AS name, a.atttypid::text AS oid,
            a.atttypmod AS typmod, (a.attgenerated <> '')::text AS generated
       FROM unnest($1::text[], $2::text[]) AS w(s, t)
       JOIN pg_catalog.pg_namespace AS n ON n.nspname = w.s
       JOIN pg_catalog.pg_class AS c ON c.relnamespace = n.oid AND c.relname = w.t
       JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid
      WHERE a.attnum > 0 AND NOT a.attisdropped`,
    [tables.map((x) => x[0]), tables.map((x) => x[1])],
  );
  const out = new Map<string, Map<string, CurrentColumn>>();
  for (const row of r.rows) {
    const k = JSON.stringify([row.s, row.t]);
    let cols = out.get(k);
    if (!cols) out.set(k, (cols = new Map()));
    cols.set(row.name, {
      typeOid: Number(row.oid),
      typmod: Number(row.typmod),
      generated: row.generated === 'true',
    });
  }
  return out;
}
