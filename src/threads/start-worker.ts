import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';

/**
 * bin/tap-postgres.js sets --optimize-for-size, which would give each worker a young generation so
 * small that it collects garbage every few milliseconds (measured: GC over half of a range-copy
 * worker's time). A fixed 1 MB semi-space keeps collections rare for a worker that allocates next
 * to nothing per row, and collects the socket's spent chunks soon: with 2–4 MB, each range-copy
 * worker held about 20 MB more at a slow consumer (peak RSS 148 → 116 MB with two ranges, CPU
 * within 2%).
 */
const heapFlags = (semiSpaceMb: number) =>
  `--no-optimize-for-size --min-semi-space-size=${semiSpaceMb} --max-semi-space-size=${semiSpaceMb}`;

/**
 * Starts worker threads running `script` with the worker heap above (a semi-space of
 * `semiSpaceMb`: 1 unless the worker makes short-lived values per record, as a map worker does);
 * `data` holds each one's workerData.
 */
export function startWorkers(script: string, data: readonly unknown[], semiSpaceMb = 1): Worker[] {
  setFlagsFromString(heapFlags(semiSpaceMb));
  const workers = data.map((workerData) => new Worker(script, { workerData }));
  // A worker's heap is configured when its thread starts, so the main thread's flags come back
  // only once every worker is running.
  void Promise.all(workers.map((w) => once(w, 'online'))).finally(() => {
    if (!process.env.TAP_POSTGRES_OPTIMIZE_FOR_SPEED) setFlagsFromString('--optimize-for-size');
  });
  return workers;
}
