import type { Queryable } from '../../discovery/catalog-query';
import {
  keysNotSent,
  replicaIdentityOf,
  type ReplicaIdentity,
} from '../../discovery/replica-identity';
import type { ReplicaIdentityCode } from '../../discovery/introspection';
import { qualifiedName } from '../../db/quote';
import { ok, type Finding } from '../../readiness/finding';

/**
 * What a LOG_BASED stream needs from its own table, as findings shared by `--check` and the sync
 * (which stops at the first problem before any output): the table writes WAL (not UNLOGGED), and
 * its key properties are among the columns its replica identity puts in the WAL, or deletes and
 * key updates would arrive without their key. Partitioned tables: each partition counts.
 */
/** A LOG_BASED stream's table; SelectedStream fits. */
export interface LogBasedTable {
  readonly tapStreamId: string;
  readonly schemaName: string;
  readonly tableName: string;
}

export interface LogBasedStreamTable extends LogBasedTable {
  readonly keyProperties: readonly string[];
}

interface LeafRow {
  ord: string;
  schema: string;
  name: string;
  unlogged: string;
  ident: string;
  /** JSON arrays as text, whatever type parsers the client has. */
  pk: string;
  idx: string;
}

/**
 * Each table named by `$1` (schemas) and `$2` (names), `t.ord` its position, as its leaf
 * partitions (`leaf`, in schema `ln`), or itself when it is not partitioned (`c`: the table).
 */
export const LEAVES_FROM = `
  FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(schema, name, ord)
  JOIN pg_catalog.pg_namespace AS n ON n.nspname = t.schema
  JOIN pg_catalog.pg_class AS c ON c.relnamespace = n.oid AND c.relname = t.name
 CROSS JOIN LATERAL (
   SELECT tree.relid FROM pg_catalog.pg_partition_tree(c.oid) AS tree
    WHERE c.relkind = 'p' AND tree.isleaf
   UNION ALL SELECT c.oid WHERE c.relkind <> 'p') AS part(oid)
  JOIN pg_catalog.pg_class AS leaf ON leaf.oid = part.oid
  JOIN pg_catalog.pg_namespace AS ln ON ln.oid = leaf.relnamespace`;

const LEAVES_SQL = `
SELECT t.ord::text AS ord, ln.nspname AS schema, leaf.relname AS name,
       (leaf.relpersistence = 'u')::text AS unlogged, leaf.relreplident::text AS ident,
       coalesce((SELECT json_agg(a.attname ORDER BY k.ord)
                   FROM pg_catalog.pg_constraint AS con
                  CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_catalog.pg_attribute AS a
                     ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                  WHERE con.conrelid = leaf.oid AND con.contype = 'p'), '[]')::text AS pk,
       coalesce((SELECT json_agg(a.attname ORDER BY k.ord)
                   FROM pg_catalog.pg_index AS i
                  CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_catalog.pg_attribute AS a
                     ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                  WHERE i.indrelid = leaf.oid AND i.indisreplident), '[]')::text AS idx
${LEAVES_FROM}
 ORDER BY t.ord, 2, 3`;

export interface TableInspection {
  readonly findings: Finding[];
  /** tap_stream_ids of the streams whose table (or a partition of it) is UNLOGGED. */
  readonly unlogged: ReadonlySet<string>;
}

function identityText(identity: ReplicaIdentity): string {
  const cols = identity.columns.join(', ');
  return identity.kind === 'index'
    ? `REPLICA IDENTITY USING INDEX on (${cols})`
    : `REPLICA IDENTITY DEFAULT, the primary key (${cols})`;
}

export async function inspectLogBasedTables(
  client: Queryable,
  streams: readonly LogBasedStreamTable[],
): Promise<TableInspection> {
  if (streams.length === 0) return { findings: [], unlogged: new Set() };
  const rows = (
    await client.query<LeafRow>(LEAVES_SQL, [
      streams.map((s) => s.schemaName),
      streams.map((s) => s.tableName),
    ])
  ).rows;
  const findings: Finding[] = [];
  const unlogged = new Set<string>();
  for (const r of rows) {
    const stream = streams[Number(r.ord) - 1]!;
    const name = `${r.schema}.${r.name}`;
    const table = qualifiedName(r.schema, r.name);
    if (r.unlogged === 'true') {
      unlogged.add(stream.tapStreamId);
      findings.push({
        status: 'problem',
        what: `${name} is an UNLOGGED table: its changes are never written to the WAL, so LOG_BASED cannot cover it`,
        fix: `ALTER TABLE ${table} SET LOGGED;`,
        then: '(or replicate it with FULL_TABLE or INCREMENTAL)',
      });
      continue;
    }
    const identity = replicaIdentityOf(
      {
        replicaIdentity: r.ident as ReplicaIdentityCode,
        replicaIdentityIndex: JSON.parse(r.idx) as string[],
        primaryKey: JSON.parse(r.pk) as string[],
      },
      [],
    );
    // No key at all (NOTHING, DEFAULT without a primary key) is replicaIdentityFindings' warning.
    const keys = stream.keyProperties;
    if (keys.length === 0 || identity.columns.length === 0) continue;
    const missing = keysNotSent(keys, identity);
    if (missing.length === 0) {
      findings.push(ok(`${name}: the key properties (${keys.join(', ')}) are in the WAL`));
      continue;
    }
    findings.push({
      status: 'problem',
      what: `${name}: key properties ${missing.join(', ')} are not in its ${identityText(identity)}, so deletes and key updates would reach the tap without them`,
      fix: `ALTER TABLE ${table} REPLICA IDENTITY FULL;`,
      then: `(or set the stream's table-key-properties to ${JSON.stringify(identity.columns)})`,
    });
  }
  return { findings, unlogged };
}

export async function logBasedTableFindings(
  client: Queryable,
  streams: readonly LogBasedStreamTable[],
): Promise<Finding[]> {
  return (await inspectLogBasedTables(client, streams)).findings;
}
