import type { MapWorkerUse } from '../worker/map-worker-choice';

/**
 * Whether the md5s of rows a stream map maps on the main thread are made on a thread of their own
 * (digest-queue.ts). Only where the map worker is not used (it takes the whole map, md5s
 * included): with two cores or more, the digests fit in what the server's backend leaves of the
 * second core. TAP_POSTGRES_DIGEST_THREAD: `off` makes them on the main thread, `on` on the
 * thread whatever the cores (tests).
 */
export function digestThreadUse(
  env: NodeJS.ProcessEnv,
  cores: number,
  mapWorker: MapWorkerUse | null,
): boolean {
  const v = env.TAP_POSTGRES_DIGEST_THREAD;
  if (v === 'off') return false;
  if (v === 'on') return true;
  return mapWorker === null && cores >= 2;
}
