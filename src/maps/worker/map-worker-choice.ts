import type { HostPort } from '../../config/hosts';

/** When a copy hands its records to the map worker. */
export interface MapWorkerUse {
  /** Records of a stream mapped on the main thread first (a small table never starts the thread). */
  readonly after: number;
  /** Whether records stay on the main thread until the worker is ready (else they queue for it). */
  readonly waitForReady: boolean;
}

/**
 * Whether copies use the map worker (src/maps/worker/); null: the main thread maps every record
 * (a parallel copy's range workers still map their own lines, using no other thread). On two
 * cores with the server on this machine there is no core to spare (the server's backend takes
 * most of one during a copy, the main thread the other), and a third busy thread only costs its
 * overhead (measured: the same wall time or worse, 10-15% more CPU). TAP_POSTGRES_MAP_WORKER:
 * `off` keeps every record on the main thread, `on` uses the worker as where cores are to spare;
 * for tests, `always` sends every copied record to the worker, `after:N` every one after the first
 * N, without waiting for it to be ready.
 */
export function mapWorkerUse(
  env: NodeJS.ProcessEnv,
  hosts: readonly HostPort[],
  cores: number,
): MapWorkerUse | null {
  const v = env.TAP_POSTGRES_MAP_WORKER;
  if (v === 'off') return null;
  if (v === 'always') return { after: 0, waitForReady: false };
  const n = /^after:(\d+)$/.exec(v ?? '');
  if (n) return { after: Number(n[1]), waitForReady: false };
  const usual = { after: 4096, waitForReady: true };
  if (v === 'on') return usual;
  if (cores <= 2 && hosts.every((h) => !h.remote && isLocalHost(h.host))) return null;
  return usual;
}

/**
 * A server on this machine: a loopback address, `localhost`, or a Unix socket's directory (an SSH
 * tunnel's local end is not: the server is behind it).
 */
function isLocalHost(host: string): boolean {
  return (
    host === 'localhost' ||
    host === '::1' ||
    host.startsWith('/') ||
    /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}
