import { join } from 'node:path';
import { ctidCondition, type BlockRange } from '../db/ctid-ranges';
import { RuntimeError } from '../errors';
import { startWorkers } from '../threads/start-worker';
import type { RangeCopyJob, RangeCopyMessage } from './range-copy-protocol';

/** The worker's compiled script; run from TypeScript sources (jest), the built one in dist/. */
const WORKER_SCRIPT = __filename.endsWith('.ts')
  ? join(__dirname, '..', '..', 'dist', 'sync', 'range-copy-worker.js')
  : join(__dirname, 'range-copy-worker.js');

export interface ParallelCopyResult {
  readonly records: number;
  readonly unrepresentable: ReadonlyMap<string, number>;
}

/**
 * Copies a table's CTID `ranges` at once, one worker thread and one connection per range, every
 * connection inside the exported snapshot `job.snapshot` (FULL_TABLE's own, or a replication
 * slot's for a LOG_BASED first copy), so together they read exactly the table as of that
 * snapshot. `job.select` is the table's SELECT without WHERE; each range adds its condition.
 *
 * Finished RECORD lines reach `onChunk` one chunk at a time, never two at once, in the order they
 * arrive (ranges interleave). A worker waits once it has CHUNKS_IN_FLIGHT chunks not yet handled,
 * so when `onChunk` waits for a slow consumer every worker soon stops reading PostgreSQL: memory
 * stays bounded by ranges × chunks, whatever the table's size.
 *
 * The first failure stops every worker and rejects.
 */
export async function copyRangesInParallel(
  job: Omit<RangeCopyJob, 'select'> & { readonly selectAll: string },
  ranges: readonly BlockRange[],
  /** `release`: stdout has taken `lines`, whose buffer then goes back to its worker for reuse. */
  onChunk: (lines: Buffer, records: number, release: () => void) => Promise<void> | void,
): Promise<ParallelCopyResult> {
  const { selectAll, ...common } = job;
  const workers = startWorkers(
    WORKER_SCRIPT,
    ranges.map((r): RangeCopyJob => ({
      ...common,
      select: `${selectAll} WHERE ${ctidCondition(r)}`,
    })),
  );

  const unrepresentable = new Map<string, number>();
  let records = 0;
  // onChunk calls, one after the other; it never rejects (a failure goes to `fail`).
  let queue: Promise<void> = Promise.resolve();
  let running = workers.length;
  let failed = false;
  return new Promise<ParallelCopyResult>((resolve, reject) => {
    const stopAll = () => Promise.all(workers.map((w) => w.terminate()));
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      void stopAll().finally(() => reject(e as Error));
    };
    for (const w of workers) {
      let done = false;
      w.on('message', (m: RangeCopyMessage) => {
        if (m.kind === 'chunk') {
          const buffer = m.lines.buffer as ArrayBuffer;
          const lines = Buffer.from(buffer, m.lines.byteOffset, m.lines.length);
          // Back to the worker once written, so it fills the same few buffers all along: fresh
          // ones per chunk were garbage that held the process's memory up until V8 collected.
          const release = () => {
            if (!done && !failed) w.postMessage(buffer, [buffer]);
          };
          queue = queue
            .then(async () => {
              if (failed) return;
              records += m.records;
              await onChunk(lines, m.records, release);
              w.postMessage('credit');
            })
            .catch(fail);
        } else if (m.kind === 'done') {
          done = true;
          for (const [c, n] of m.unrepresentable) {
            unrepresentable.set(c, (unrepresentable.get(c) ?? 0) + n);
          }
          queue = queue.then(() => {
            running -= 1;
            if (running === 0 && !failed) {
              void stopAll().then(() => resolve({ records, unrepresentable }), reject);
            }
          });
        } else {
          fail(new RuntimeError(m.message, m.code));
        }
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (!done) fail(new RuntimeError(`a range-copy worker stopped early (exit code ${code})`));
      });
    }
  });
}
