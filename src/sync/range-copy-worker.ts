/**
 * Worker thread entry: copies one CTID range of a table inside a shared snapshot and turns its
 * rows into RECORD lines, so conversion runs on as many cores as there are ranges. The main
 * thread only writes the finished UTF-8 chunks (src/sync/parallel-copy.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { Client } from 'pg';
import { clientConfig } from '../db/connect';
import { copyRowBytes } from '../db/copy-reader';
import { beginInSnapshot } from '../replication/slot';
import { recordPrefix, recordSuffix } from '../singer/writer';
import { LineSink } from '../maps/worker/line-sink';
import type { RecordMapping } from '../maps/record-mapping';
import { GrowableSink, putBytes } from '../values/byte-sink';
import { RowBodyEncoder } from '../values/row-body-encoder';
import { CHUNKS_IN_FLIGHT, type RangeCopyJob, type RangeCopyMessage } from './range-copy-protocol';

/**
 * A young-generation collection, called every few chunks. Why: a worker allocates almost nothing
 * per row, so V8 rarely collects on its own, and the socket's spent chunks (memory outside the
 * JS heap) pile up until V8's external-memory limit (64 MB) forces a collection; two workers then
 * held over 100 MB of dead chunks at a slow consumer. The `gc` function comes from a context made
 * while --expose-gc is on, and the flag goes off again at once (flags are process-wide).
 */
setFlagsFromString('--expose-gc');
const exposedGc = runInNewContext('typeof gc === "function" ? gc : undefined') as
  ((options: { type: 'minor' }) => void) | undefined;
// A runtime that refuses the flag only loses the early collections, never the copy.
const collectYoung = exposedGc ?? (() => {});
setFlagsFromString('--no-expose-gc');
/** Chunks sent between collections: about 4 MB of lines. */
const CHUNKS_PER_COLLECTION = 16;

const port = parentPort!;
const job = workerData as RangeCopyJob;
const post = (m: RangeCopyMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

let credits = CHUNKS_IN_FLIGHT;
let wake: (() => void) | null = null;
/** The lines' buffers come back once written (see GrowableSink.giveBack). */
const sink = new LineSink(job.chunkBytes + 64 * 1024);
/**
 * The stream's maps, applied here so they run on as many cores as the copy (RECORD lines only).
 * Loaded only then: the maps' modules take a worker about 50 ms to load.
 */
async function streamMapping(): Promise<RecordMapping | undefined> {
  if (!job.mapping || job.recordOnly) return undefined;
  const { mappingForSetup } = await import('../maps/worker/mapping-for-setup.js');
  return mappingForSetup(job.mapping, sink);
}

port.on('message', (m: 'credit' | ArrayBuffer) => {
  if (m instanceof ArrayBuffer) return sink.giveBack(m, CHUNKS_IN_FLIGHT);
  credits += 1;
  wake?.();
  wake = null;
});

async function run(): Promise<void> {
  const unrepresentable = new Map<string, number>();
  const body = new RowBodyEncoder(job.columns, 'copy', job.policy, (column) =>
    unrepresentable.set(column, (unrepresentable.get(column) ?? 0) + 1),
  );
  const prefix = Buffer.from(job.recordOnly ? '{' : recordPrefix(job.stream));
  const lineEnd = (at: string) => (job.recordOnly ? '}\n' : recordSuffix(job.version, at));
  const tail = job.bodyTail ? Buffer.from(job.bodyTail) : null;
  let extractedAt = new Date().toISOString();
  let suffix = Buffer.from(lineEnd(extractedAt));
  let records = 0;
  let total = 0;
  const scratch = new GrowableSink(16 * 1024);
  const mapping = await streamMapping();
  let sent = 0;

  const send = async () => {
    if (records === 0) return;
    while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
    credits -= 1;
    const lines = sink.take();
    post({ kind: 'chunk', lines, records }, [lines.buffer as ArrayBuffer]);
    total += records;
    records = 0;
    if (++sent % CHUNKS_PER_COLLECTION === 0) collectYoung({ type: 'minor' });
  };

  const client = new Client(clientConfig(job.config));
  client.on('error', () => {});
  await client.connect();
  try {
    await beginInSnapshot(client, job.snapshot);
    await copyRowBytes(
      client,
      job.select,
      job.columns.length,
      (src, fields) => {
        records += 1;
        if (mapping) return mapping.mapRow(scratch, body, src, fields, tail, suffix);
        putBytes(sink, prefix);
        body.write(sink, src, fields);
        if (tail) putBytes(sink, tail);
        putBytes(sink, suffix);
      },
      async () => {
        if (sink.pos >= job.chunkBytes) await send();
        const now = new Date().toISOString();
        if (now !== extractedAt) {
          extractedAt = now;
          suffix = Buffer.from(lineEnd(now));
        }
      },
    );
    await send();
    await client.query('COMMIT');
  } finally {
    await client.end().catch(() => {});
  }
  post({ kind: 'done', records: total, unrepresentable: [...unrepresentable] });
}

run().catch((e: unknown) => {
  const err = e as { message?: string; code?: string };
  post({
    kind: 'error',
    message: err.message ?? String(e),
    ...(typeof err.code === 'string' ? { code: err.code } : {}),
  });
});
