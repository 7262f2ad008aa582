import type { ClientBase } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { CopyTextParser } from './copy-text-parser';
import type { TextRow } from './cursor';

/**
 * Runs `COPY (<select>) TO STDOUT` on `client` and hands every row to `onRow` (PostgreSQL's text
 * per column, as the query protocol would give it; the array is reused, see CopyTextParser).
 *
 * Why COPY: the query protocol frames every row as a DataRow message that pg turns into a
 * JavaScript array of freshly decoded strings, which profiling showed dominating a FULL_TABLE
 * sync. COPY streams plain text that is decoded once per socket chunk.
 *
 * After each chunk `afterChunk` is awaited (the writer's flush when its buffer is full); while it
 * waits nothing reads the socket, so a slow consumer holds PostgreSQL back instead of filling
 * memory. COPY takes no parameters: `select` must carry its values as literals.
 *
 * After an error the connection may be left mid-COPY: the caller should discard it.
 * Returns the number of rows.
 */
export async function copyRows(
  client: ClientBase,
  select: string,
  columns: number,
  onRow: (row: TextRow) => void,
  afterChunk: () => Promise<void> | void = () => {},
): Promise<number> {
  const parser = new CopyTextParser(columns, onRow);
  const stream = client.query(copyTo(`COPY (${select}) TO STDOUT`));
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    parser.push(chunk);
    await afterChunk();
  }
  parser.end();
  return parser.rowCount;
}
