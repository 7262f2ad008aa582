import type { ClientBase } from 'pg';
import { quoteIdent } from './quote';

/** A raw row: PostgreSQL's text for each column (the client has text-only type parsers). */
export type TextRow = ReadonlyArray<string | null>;

/**
 * Runs `sql` through a server-side cursor and yields its rows `batchSize` at a time, inside its own
 * transaction. pg-cursor would do the same; a plain DECLARE/FETCH keeps `rowMode: 'array'` (no
 * object per row) and needs no extra package. The generator's `finally` closes the cursor when the
 * consumer stops early.
 */
export async function* fetchBatches(
  client: ClientBase,
  sql: string,
  params: readonly unknown[],
  batchSize: number,
): AsyncGenerator<TextRow[]> {
  const name = quoteIdent(`tap_postgres_cursor`);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  let open = true;
  try {
    await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, [...params]);
    for (;;) {
      const r = await client.query<unknown[]>({
        text: `FETCH FORWARD ${Math.max(1, Math.floor(batchSize))} FROM ${name}`,
        rowMode: 'array',
      });
      if (r.rows.length === 0) break;
      yield r.rows as unknown as TextRow[];
      if (r.rows.length < batchSize) break;
    }
    await client.query('COMMIT');
    open = false;
  } finally {
    if (open) await client.query('ROLLBACK').catch(() => {});
  }
}
