import type { Hash } from 'node:crypto';
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

/**
 * Each case's CPU ns per row over `rounds` timed rounds (after one warm-up round), the cases
 * alternating within each round so that the machine's drift spreads over all of them evenly.
 */
export function cpuNsPerRow<D>(
  cases: ReadonlyArray<readonly [string, (data: D) => unknown]>,
  data: D,
  rows: number,
  rounds: number,
): Map<string, number[]> {
  const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let r = 0; r <= rounds; r++) {
    for (const [name, run] of cases) {
      const c0 = process.cpuUsage();
      run(data);
      const c = process.cpuUsage(c0);
      if (r > 0) times.get(name)!.push(((c.user + c.system) * 1000) / rows);
    }
  }
  return times;
}

/**
 * `row(i)` for each of `rows` rows, writing into `sink`, which is emptied every 1,000 rows as a
 * writer's flush would (into `hash` when given: a check that two ways write the same bytes), after
 * its `settle` as a writer settles its barriers; returns the bytes written.
 */
export function runRows(
  rows: number,
  sink: { buf: Buffer; pos: number; settle?(): void },
  row: (i: number) => void,
  hash?: Hash,
): number {
  let bytes = 0;
  for (let i = 0; i < rows; i++) {
    if (i % 1000 === 0) {
      sink.settle?.();
      hash?.update(sink.buf.subarray(0, sink.pos));
      bytes += sink.pos;
      sink.pos = 0;
    }
    row(i);
  }
  sink.settle?.();
  hash?.update(sink.buf.subarray(0, sink.pos));
  bytes += sink.pos;
  sink.pos = 0;
  return bytes;
}
