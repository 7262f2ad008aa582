import { fetchBatches, type TextRow } from '../db/cursor';
import { quoteIdent, selectColumns } from '../db/quote';
import { RawJson, type Bookmark, type BookmarkValue } from '../state/tap-state';
import { converterFor } from '../values';
import { recordEncoder } from './record-encoder';
import type { StreamColumns } from './stream-columns';
import { STATE_EVERY_RECORDS, type SyncContext } from './sync-context';

/** A bookmark as a query parameter: PostgreSQL parses it back as the key column's type. */
function asParameter(v: BookmarkValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (!(v instanceof RawJson)) return String(v);
  const parsed = JSON.parse(v.json) as unknown;
  if (parsed === null) return null;
  // A string fragment is the text itself; a number keeps the digits exactly as they were printed.
  return typeof parsed === 'string' ? parsed : v.json;
}

/**
 * INCREMENTAL: `WHERE key >= bookmark ORDER BY key`, bookmark = the last emitted key
 * value as it appeared in the RECORD (so a bigint or numeric key keeps every digit), or
 * PostgreSQL's text where the RECORD could not carry it (`infinity`, `NaN`, a BC date). `>=` makes the
 * boundary at-least-once: rows sharing the bookmark's value are sent again rather than risk losing
 * one committed later with the same value. Rows whose key is NULL are only read by a first run
 * (no bookmark); `>=` cannot select them afterwards.
 */
export async function syncIncremental(
  ctx: SyncContext,
  sc: StreamColumns,
  bookmark: Bookmark,
): Promise<number> {
  const s = sc.stream;
  const key = s.replicationKey!;
  const keyIdx = s.columns.indexOf(key);
  const version = bookmark.version ?? Date.now();
  const useVersion = ctx.config.emitActivateVersion;
  const out = ctx.writer.beginStream({
    stream: s.stream,
    schema: s.schema,
    keyProperties: s.keyProperties,
    bookmarkProperties: [key],
    ...(useVersion ? { version } : {}),
  });
  if (ctx.testMode === 'schema') return 0;
  if (useVersion && bookmark.version == null) ctx.writer.activateVersion(s.stream, version);

  const encoder = recordEncoder(s.columns, sc.types, ctx.policy);
  // The bookmark must resume where the batch ended, so it never takes temporal_out_of_range's
  // null or clamp: `infinity`, `NaN` or a BC date stay PostgreSQL's text, which `>= $1` reads back.
  const keyFragment = converterFor({ ...sc.types[keyIdx]!, keyColumn: true }, ctx.policy);
  const start = asParameter(bookmark.replication_key_value);
  const where = start === null ? '' : `WHERE ${quoteIdent(key)} >= $1`;
  const sql = `${selectColumns(s.columns, s.schemaName, s.tableName)} ${where} ORDER BY ${quoteIdent(key)}`;
  const limit = ctx.testMode === 'record' ? 1 : ctx.config.batchFetchLimit;

  let value: BookmarkValue | undefined = bookmark.replication_key_value;
  const checkpoint = () =>
    ctx.checkpoint(s.tapStreamId, {
      last_replication_method: 'INCREMENTAL',
      version,
      replication_key: key,
      ...(value === undefined ? {} : { replication_key_value: value }),
    });
  // NULL keys sort last; the bookmark is the last non-NULL key emitted.
  let lastKeyed: TextRow | undefined;
  const advance = () => {
    const frag = lastKeyed ? keyFragment(lastKeyed[keyIdx] ?? null) : 'null';
    if (frag !== 'null') value = new RawJson(frag);
  };

  let count = 0;
  for await (const rows of fetchBatches(ctx.client, sql, start === null ? [] : [start], limit)) {
    out.setExtractedAt(new Date());
    for (const row of rows) {
      const full = out.record(encoder.encode(row));
      count += 1;
      if (row[keyIdx] != null) lastKeyed = row;
      if (count % STATE_EVERY_RECORDS === 0) {
        advance();
        checkpoint();
      }
      if (full) await ctx.writer.flush();
    }
    if (ctx.testMode) break;
    advance();
    checkpoint();
    await ctx.writer.flush();
    ctx.throwIfInterrupted(); // SIGTERM: the STATE just written resumes after this batch
  }
  ctx.reportUnrepresentable(s.tapStreamId, encoder.unrepresentable);
  if (ctx.testMode) return count;
  checkpoint();
  await ctx.writer.flush();
  return count;
}
