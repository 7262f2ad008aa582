import type { ClientBase } from 'pg';

/**
 * Drops a logical slot once its walsender has let go of it. A client that ended its replication
 * connection does not wait for the server process to exit, and dropping a slot that is still
 * active fails (seen on PostgreSQL 14 under load).
 */
export async function dropSlotWhenReleased(
  client: Pick<ClientBase, 'query'>,
  slotName: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // As text: the tap's clients read every value as text, the tests' as JS values.
    const r = await client.query<{ active: string }>(
      'SELECT active::text AS active FROM pg_catalog.pg_replication_slots WHERE slot_name = $1',
      [slotName],
    );
    if (r.rows.length === 0) throw new Error(`replication slot '${slotName}' does not exist`);
    if (r.rows[0]!.active !== 'true' || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await client.query('SELECT pg_catalog.pg_drop_replication_slot($1)', [slotName]);
}
