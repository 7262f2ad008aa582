import type { ClientBase } from 'pg';

/**
 * Opens a REPEATABLE READ READ ONLY transaction on `client` and exports its snapshot, so other
 * connections can read exactly the same data (`beginInSnapshot` in src/replication/slot.ts). The transaction must stay open
 * until every importer has imported: the caller commits it afterwards.
 */
export async function exportSnapshot(client: ClientBase): Promise<string> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const r = await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s');
  return r.rows[0]!.s;
}
