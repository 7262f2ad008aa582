import type { HostPort } from '../../config/hosts';

/**
 * Records of a stream mapped on the main thread before its copy hands them to the map worker
 * (src/maps/worker/): a small table never starts the thread; null: the main thread maps them all
 * (a parallel copy's range workers still map their own lines, using no other thread).
 * On two cores with the server on this machine there is no core to spare (the server's backend
 * takes most of one during a copy, the main thread the other), and a third busy thread only costs
 * its overhead (measured: the same wall time or worse, 15% more CPU). TAP_POSTGRES_MAP_WORKER=off
 * keeps every record on the main thread, `always` sends every copied record to the worker (tests).
 */
export function mapWorkerAfter(
  env: NodeJS.ProcessEnv,
  hosts: readonly HostPort[],
  cores: number,
): number | null {
  const v = env.TAP_POSTGRES_MAP_WORKER;
  if (v === 'off') return null;
  if (v === 'always') return 0;
  if (cores <= 2 && hosts.every((h) => !h.remote && isLocalHost(h.host))) return null;
  return 4096;
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
