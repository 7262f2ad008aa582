/** What every bench part shares: the catalog shape it edits, peak memory, medians. */
import { readFileSync } from 'node:fs';

export interface Catalog {
  streams: Array<{
    tap_stream_id: string;
    metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
  }>;
}

/** The discovered catalog with `ids` selected (all streams when omitted) under `method`. */
export function catalogFor(catalog: Catalog, ids: string[] | null, method: string): Catalog {
  const copy = JSON.parse(JSON.stringify(catalog)) as Catalog;
  if (ids) copy.streams = copy.streams.filter((s) => ids.includes(s.tap_stream_id));
  for (const s of copy.streams) {
    const root = s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
    root.selected = true;
    root['replication-method'] = method;
  }
  return copy;
}

/** A process's peak resident memory (VmHWM) in MB; 0 once it is gone. */
export function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * CPU seconds (user + system) of a process's main thread and of the whole process, from
 * /proc (Linux; undefined elsewhere or once it is gone): what the thread that encodes rows spends,
 * apart from the thread pool's compression and writes and the workers.
 */
export function cpuSeconds(pid: number): { main: number; total: number } | undefined {
  const ticks = (path: string) => {
    const stat = readFileSync(path, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  try {
    return { main: ticks(`/proc/${pid}/task/${pid}/stat`), total: ticks(`/proc/${pid}/stat`) };
  } catch {
    return undefined;
  }
}
