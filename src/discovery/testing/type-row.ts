import type { TypeRow } from '../introspection';

/** A pg_type row for tests: a built-in scalar unless `over` says otherwise. */
export function typeRow(oid: string, name: string, over: Partial<TypeRow> = {}): TypeRow {
  return {
    oid,
    name,
    schema: 'pg_catalog',
    typtype: 'b',
    category: 'S',
    baseTypeOid: null,
    typmod: -1,
    ndims: 0,
    elementOid: null,
    enumLabels: null,
    ...over,
  };
}
