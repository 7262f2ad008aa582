import type { ClientBase } from 'pg';
import { quoteIdent } from './quote';

/** A raw row: PostgreSQL's text for each column (the client has text-only type parsers). */
export type TextRow = ReadonlyArray<string | null>;

const CURSOR = quoteIdent('tap_postgres_cursor');

/**
 * Runs `sql` through a server-side cursor in the transaction `client` is already in, and yields
 * its rows `batchSize` at a time. pg-cursor would do the same; a plain DECLARE/FETCH keeps
 * `rowMode: 'array'` (no object per row) and needs no extra package. The cursor is closed when the
 * consumer stops early too.
 */
export async function* cursorBatches(
  client: ClientBase,
  sql: string,
  params: readonly unknown[],
  batchSize: number,
): AsyncGenerator<TextRow[]> {
  const size = Math.max(1, Math.floor(batchSize));
  await client.query(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${sql}`, [...params]);
  try {
    for (;;) {
      const r = await client.query<unknown[]>({
        text: `FETCH FORWARD ${size} FROM ${CURSOR}`,
        rowMode: 'array',
      });
      if (r.rows.length === 0) break;
      yield r.rows as unknown as TextRow[];
      if (r.rows.length < size) break;
    }
  } finally {
    await client.query(`CLOSE ${CURSOR}`).catch(() => {});
  }
}

/** `cursorBatches` inside a read-only transaction of its own. */
export async function* fetchBatches(
  client: ClientBase,
  sql: string,
  params: readonly unknown[],
  batchSize: number,
): AsyncGenerator<TextRow[]> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  let open = true;
  try {
    yield* cursorBatches(client, sql, params, batchSize);
    await client.query('COMMIT');
    open = false;
  } finally {
    if (open) await client.query('ROLLBACK').catch(() => {});
  }
}
