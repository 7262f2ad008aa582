import { copyRowBytes } from '../db/copy-reader';
import { fieldText, NULL_FIELD, type FieldRanges } from '../values/row-body-encoder';
import { quoteIdent, quoteLiteral, selectColumns } from '../db/quote';
import type { Bookmark } from '../state/tap-state';
import { planParallelCopy, syncRangesInParallel } from './full-table-parallel';
import { recordEncoder } from './record-encoder';
import type { StreamColumns } from './stream-columns';
import { STATE_EVERY_RECORDS, type SyncContext } from './sync-context';

/**
 * FULL_TABLE. Tables with a primary key are read in keyset batches
 * (`WHERE (pk) > (last) ORDER BY pk LIMIT n`): each batch walks the key's index, so nothing sorts
 * the whole table (the Python taps' ORDER BY xmin does), no transaction stays open for the whole
 * copy, and an interrupted run resumes after `last_pk_fetched` without re-reading what its STATE
 * covered. Relations without a key (views, heaps) are read by one statement and restart from
 * scratch. Rows come through `COPY (…) TO STDOUT` (src/db/copy-reader.ts): the same text per value
 * as the query protocol, several times cheaper to receive.
 *
 * ACTIVATE_VERSION as singer-io / pipelinewise: before the records on a stream's first run, after
 * them on every run; a resumed run keeps the interrupted run's version.
 */
export async function syncFullTable(
  ctx: SyncContext,
  sc: StreamColumns,
  bookmark: Bookmark,
): Promise<number> {
  const s = sc.stream;
  const resumeAfter = bookmark.version != null ? bookmark.last_pk_fetched : undefined;
  const version = resumeAfter && bookmark.version != null ? bookmark.version : Date.now();
  const useVersion = ctx.config.emitActivateVersion;
  const out = ctx.writer
    .beginStream({
      stream: s.stream,
      schema: s.schema,
      keyProperties: s.keyProperties,
      bookmarkProperties: [],
      ...(useVersion ? { version } : {}),
    })
    .batched();
  if (ctx.testMode === 'schema') return 0;
  if (useVersion && bookmark.version == null) ctx.writer.activateVersion(s.stream, version);

  const encoder = recordEncoder(s.columns, sc.types, ctx.policy, 'copy');
  const select = selectColumns(s.columns, s.schemaName, s.tableName);
  const pkIdx = sc.primaryKey.map((k) => s.columns.indexOf(k));
  const keyset = !s.isView && pkIdx.length > 0 && pkIdx.every((i) => i >= 0);
  const limit = ctx.testMode === 'record' ? 1 : ctx.config.batchFetchLimit;
  const base: Bookmark = { last_replication_method: 'FULL_TABLE', version, xmin: null };
  let count = 0;

  const pkOf = (pk: readonly (string | null)[]) =>
    Object.fromEntries(sc.primaryKey.map((k, j) => [k, pk[j] ?? null]));
  // The key of the last row read, as texts: set at each batch's end (and decoded per STATE).
  let lastPk: Array<string | null> = pkIdx.map(() => null);
  const pkTexts = (src: Buffer, f: FieldRanges) =>
    pkIdx.map((i) => {
      const st = f.starts[i]!;
      return st === NULL_FIELD ? null : fieldText(src, st, f.ends[i]!, 'copy');
    });
  const body = encoder.bytes;
  const onRow = (src: Buffer, fields: FieldRanges) => {
    out.recordFromBytes(body, src, fields);
    count += 1;
    if (count % STATE_EVERY_RECORDS === 0) {
      // Without a key there is no resume point, but the STATE still shows progress.
      ctx.checkpoint(
        s.tapStreamId,
        keyset ? { ...base, last_pk_fetched: pkOf(pkTexts(src, fields)) } : base,
      );
    }
  };
  const flushIfFull = () => (ctx.writer.full ? ctx.writer.flush() : undefined);
  const read = async (sql: string) => {
    out.setExtractedAt(new Date());
    const r = await copyRowBytes(ctx.client, sql, s.columns.length, onRow, flushIfFull);
    if (r.lastRow) lastPk = pkIdx.map((i) => r.lastRow![i] ?? null);
    return r.rows;
  };

  let after: readonly (string | null)[] | null =
    keyset && resumeAfter
      ? sc.primaryKey.map((k) => {
          const v = resumeAfter[k];
          return v === undefined || v === null ? null : String(v);
        })
      : null;
  if (after?.some((v) => v === null)) after = null; // a marker from another key: start over
  if (resumeAfter && !after) {
    ctx.log.warn(
      `${s.tapStreamId}: state bookmark's last_pk_fetched discarded: ${keyset ? `it does not hold a value of every primary key column (${sc.primaryKey.join(', ')})` : 'the relation has no primary key to resume by'}; the interrupted copy starts over`,
    );
  }
  // A resumed copy continues in key order; a fresh one may split the table over connections.
  const ranges = after || ctx.testMode ? null : await planParallelCopy(ctx, sc);
  let unrepresentable = encoder.unrepresentable;

  if (ranges) {
    const r = await syncRangesInParallel(ctx, sc, out, base, ranges);
    count = r.records;
    unrepresentable = r.unrepresentable;
  } else if (keyset) {
    const pkList = sc.primaryKey.map(quoteIdent).join(', ');
    for (;;) {
      const where = after
        ? `WHERE (${pkList}) > (${after.map((v) => quoteLiteral(v!)).join(', ')})`
        : '';
      const rows = await read(`${select} ${where} ORDER BY ${pkList} LIMIT ${limit}`);
      if (ctx.testMode || rows < limit) break;
      after = [...lastPk];
      ctx.checkpoint(s.tapStreamId, { ...base, last_pk_fetched: pkOf(lastPk) });
      await ctx.writer.flush();
      ctx.throwIfInterrupted(); // SIGTERM: the STATE just written resumes after this batch
    }
  } else {
    await read(ctx.testMode ? `${select} LIMIT 1` : select);
  }
  ctx.reportUnrepresentable(s.tapStreamId, unrepresentable);
  out.endBatch();
  if (ctx.testMode) return count;
  if (useVersion) ctx.writer.activateVersion(s.stream, version);
  ctx.checkpoint(s.tapStreamId, base);
  await ctx.writer.flush(true);
  return count;
}
