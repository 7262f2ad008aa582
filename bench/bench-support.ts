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
