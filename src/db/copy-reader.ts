import type { ClientBase } from 'pg';
import { copyOut } from './copy-out';
import { CopyRowScanner, rowTexts, type ByteRowHandler, type TextRow } from './copy-row-scanner';

export interface CopyResult {
  readonly rows: number;
  /** The texts of the last row (the resume point of a keyset batch), or null when none. */
  readonly lastRow: TextRow | null;
}

/**
 * Runs `COPY (<select>) TO STDOUT` on `client` and hands every row to `onRow` as byte ranges of
 * the socket's chunk it arrived in (copy-out.ts, CopyRowScanner).
 *
 * Why COPY: the query protocol frames every row as a DataRow message that pg turns into a
 * JavaScript array of freshly decoded strings, which profiling showed dominating a FULL_TABLE
 * sync. COPY streams plain text whose bytes can go to the output without becoming strings.
 *
 * After each chunk `afterChunk` is awaited (the writer's flush when its buffer is full); while it
 * waits nothing reads the socket, so a slow consumer holds PostgreSQL back instead of filling
 * memory. COPY takes no parameters: `select` must carry its values as literals.
 *
 * After an error the connection may be left mid-COPY: the caller should discard it.
 */
export async function copyRowBytes(
  client: ClientBase,
  select: string,
  columns: number,
  onRow: ByteRowHandler,
  afterChunk: () => Promise<void> | void = () => {},
): Promise<CopyResult> {
  const scanner = new CopyRowScanner(columns, onRow);
  await copyOut(
    client,
    `COPY (${select}) TO STDOUT`,
    (buf, start, end) => scanner.pushRow(buf, start, end),
    afterChunk,
  );
  scanner.end();
  return { rows: scanner.rowCount, lastRow: scanner.lastRowTexts() };
}

/** `copyRowBytes` with each row's texts (a new array per row): for tests and small reads. */
export async function copyRows(
  client: ClientBase,
  select: string,
  columns: number,
  onRow: (row: TextRow) => void,
): Promise<number> {
  const r = await copyRowBytes(client, select, columns, (src, fields) =>
    onRow(rowTexts(src, fields)),
  );
  return r.rows;
}
