/** What a run printed, counted per message type and stream, with its records and last STATE. */
export interface OutputSummary {
  /** `RECORD shop-orders` → 1000, `STATE` → 3, in order of first appearance. */
  readonly counts: ReadonlyMap<string, number>;
  readonly records: ReadonlyArray<{ stream: string; record: Record<string, unknown> }>;
  readonly lastState: unknown;
}

export function summarizeOutput(stdout: string): OutputSummary {
  const counts = new Map<string, number>();
  const records: Array<{ stream: string; record: Record<string, unknown> }> = [];
  let lastState: unknown = null;
  for (const line of stdout.split('\n').filter(Boolean)) {
    const m = JSON.parse(line) as {
      type: string;
      stream?: string;
      record?: Record<string, unknown>;
      value?: unknown;
    };
    const key = `${m.type}${m.stream ? ` ${m.stream}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (m.type === 'RECORD') records.push({ stream: m.stream!, record: m.record! });
    if (m.type === 'STATE') lastState = m.value;
  }
  return { counts, records, lastState };
}
