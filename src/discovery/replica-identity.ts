import type { RelationRow, ReplicaIdentityCode } from './introspection';

/**
 * REPLICA IDENTITY: which old values an UPDATE or DELETE carries in the WAL. A LOG_BASED delete
 * can only be keyed by these columns, so discovery keys a table by them (see `streamKey`).
 */
export type ReplicaIdentityKind = 'default' | 'full' | 'index' | 'nothing';

export interface ReplicaIdentity {
  readonly kind: ReplicaIdentityKind;
  /**
   * The columns a DELETE (and an UPDATE that changes them) carries: default the primary key
   * (none without one), index the index's columns, full every column, nothing none.
   */
  readonly columns: readonly string[];
}

const KINDS: Readonly<Record<ReplicaIdentityCode, ReplicaIdentityKind>> = {
  d: 'default',
  f: 'full',
  i: 'index',
  n: 'nothing',
};

/** `columns`: the table's columns, for `full`. */
export function replicaIdentityOf(
  rel: Pick<RelationRow, 'replicaIdentity' | 'replicaIdentityIndex' | 'primaryKey'>,
  columns: readonly string[],
): ReplicaIdentity {
  const kind = KINDS[rel.replicaIdentity] ?? 'default';
  switch (kind) {
    case 'default':
      return { kind, columns: [...rel.primaryKey] };
    case 'index':
      return { kind, columns: [...rel.replicaIdentityIndex] };
    case 'full':
      return { kind, columns: [...columns] };
    case 'nothing':
      return { kind, columns: [] };
  }
}

/**
 * A stream's key properties: the replica identity index's columns when the table has one
 * (REPLICA IDENTITY USING INDEX), else the primary key. Such an index is unique over NOT NULL
 * columns, so it keys rows as well as the primary key does, and it is what a LOG_BASED delete
 * carries (the primary key is then not in the WAL). One key for every method, so a target's key
 * does not change with the replication method.
 */
export function streamKey(
  rel: Pick<RelationRow, 'replicaIdentity' | 'replicaIdentityIndex' | 'primaryKey'>,
): readonly string[] {
  const index = rel.replicaIdentityIndex ?? [];
  return rel.replicaIdentity === 'i' && index.length > 0 ? index : rel.primaryKey;
}

/** Key properties a DELETE would not carry under `identity` (none under FULL). */
export function keysNotSent(keys: readonly string[], identity: ReplicaIdentity): string[] {
  if (identity.kind === 'full') return [];
  return keys.filter((k) => !identity.columns.includes(k));
}
