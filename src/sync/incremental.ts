import { copyRowBytes } from '../db/copy-reader';
import { quoteIdent, selectColumns } from '../db/quote';
import { RawJson, type Bookmark, type BookmarkValue } from '../state/tap-state';
import { converterFor } from '../values';
import { fieldText, NULL_FIELD, type FieldRanges } from '../values/row-body-encoder';
import { bookmarkLiteral } from './bookmark-literal';
import { recordEncoder } from './record-encoder';
import type { StreamColumns } from './stream-columns';
import { STATE_EVERY_RECORDS, type SyncContext } from './sync-context';

/**
 * INCREMENTAL: `WHERE key >= bookmark ORDER BY key`, bookmark = the last emitted key
 * value as it appeared in the RECORD (so a bigint or numeric key keeps every digit), or
 * PostgreSQL's text where the RECORD could not carry it (`infinity`, `NaN`, a BC date). `>=` makes the
 * boundary at-least-once: rows sharing the bookmark's value are sent again rather than risk losing
 * one committed later with the same value. Rows whose key is NULL are only read by a first run
 * (no bookmark); `>=` cannot select them afterwards.
 *
 * One `COPY (SELECT …) TO STDOUT`, rows encoded from its bytes as FULL_TABLE's are: the query
 * protocol's per-row strings cost INCREMENTAL twice FULL_TABLE's time, and the same encoder keeps
 * a row's rendering identical in both. The bookmark goes into the statement as a literal
 * (bookmark-literal.ts). One statement reads one snapshot, as the cursor's transaction did.
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

  const encoder = recordEncoder(s.columns, sc.types, ctx.policy, 'copy');
  // The bookmark must resume where the stream stopped, so it never takes temporal_out_of_range's
  // null or clamp: `infinity`, `NaN` or a BC date stay PostgreSQL's text, which the literal reads back.
  const keyFragment = converterFor({ ...sc.types[keyIdx]!, keyColumn: true }, ctx.policy);
  const start = bookmarkLiteral(bookmark.replication_key_value);
  const where = start === null ? '' : `WHERE ${quoteIdent(key)} >= ${start}`;
  const limit = ctx.testMode === 'record' ? ' LIMIT 1' : '';
  const sql = `${selectColumns(s.columns, s.schemaName, s.tableName)} ${where} ORDER BY ${quoteIdent(key)}${limit}`;
  const batch = ctx.config.batchFetchLimit;

  let value: BookmarkValue | undefined = bookmark.replication_key_value;
  const checkpoint = () =>
    ctx.checkpoint(s.tapStreamId, {
      last_replication_method: 'INCREMENTAL',
      version,
      replication_key: key,
      ...(value === undefined ? {} : { replication_key_value: value }),
    });
  // The key field of the last row whose key is not NULL (NULLs sort last): where it lies in the
  // chunk it came in, read only when a STATE needs it, so a row costs no string. Holding the view
  // is safe as it is for CopyRowScanner's last line: a socket chunk is never reused.
  let keySrc: Buffer | undefined;
  let keyStart = 0;
  let keyEnd = 0;
  const advance = () => {
    if (!keySrc) return;
    const frag = keyFragment(fieldText(keySrc, keyStart, keyEnd, 'copy'));
    if (frag !== 'null') value = new RawJson(frag);
  };

  let count = 0;
  const body = encoder.bytes;
  const onRow = (src: Buffer, fields: FieldRanges) => {
    out.recordFromBytes(body, src, fields);
    count += 1;
    const st = fields.starts[keyIdx]!;
    if (st !== NULL_FIELD) {
      keySrc = src;
      keyStart = st;
      keyEnd = fields.ends[keyIdx]!;
    }
    // batch_fetch_limit is the documented STATE interval a smaller value asks for; one COPY has
    // no batches of its own.
    if (count % STATE_EVERY_RECORDS === 0 || count % batch === 0) {
      advance();
      checkpoint();
      if (count % batch === 0) out.setExtractedAt(new Date());
    }
  };
  // SIGTERM, or the connection lost: a STATE covering every record written so far, then the stop.
  // copy-out.ts drops the rest of the COPY; `>=` resumes at the last key written, so none is lost.
  const stopIfAsked = () => {
    try {
      ctx.throwIfInterrupted();
    } catch (e) {
      if (!ctx.testMode) {
        advance();
        checkpoint();
      }
      throw e;
    }
  };
  // While the writer waits for the consumer nothing reads the socket: memory stays bounded.
  const afterChunk = () => (ctx.writer.full ? ctx.writer.flush().then(stopIfAsked) : stopIfAsked());

  out.setExtractedAt(new Date());
  await copyRowBytes(ctx.client, sql, s.columns.length, onRow, afterChunk);
  ctx.reportUnrepresentable(s.tapStreamId, encoder.unrepresentable);
  if (ctx.testMode) return count;
  advance();
  checkpoint();
  await ctx.writer.flush();
  return count;
}
