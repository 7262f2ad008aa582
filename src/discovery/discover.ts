import type { Catalog } from '../catalog/catalog-types';
import { buildCatalog } from './build-catalog';
import { queryCatalog, type Queryable } from './catalog-query';

export interface DiscoverOptions {
  /** The database the client is connected to; goes to `database-name`. */
  readonly database: string;
  /** Schemas to discover; null (or empty) for every non-system schema. */
  readonly schemas: readonly string[] | null;
  /** `composite_as_object`: composite columns are described as objects. */
  readonly compositeAsObject?: boolean;
}

/**
 * `--discover`: the catalog of every table, view, materialized view and partitioned table the
 * user may read. One query (see catalog-query.ts), then a pure build (build-catalog.ts).
 *
 * @example
 * const catalog = await discover(client, { database: 'shop', schemas: ['public'] });
 */
export async function discover(client: Queryable, opts: DiscoverOptions): Promise<Catalog> {
  const introspection = await queryCatalog(client, opts.schemas);
  return buildCatalog(introspection, {
    database: opts.database,
    compositeAsObject: opts.compositeAsObject ?? false,
  });
}
