/**
 * Singer metrics as singer-python (singer/metrics.py) and the Meltano SDK log them: an INFO line
 * `METRIC: <json>` on stderr. Counters report the increase since the counter's previous line (as
 * singer-python's Counter does, resetting after each line), so a stream's lines sum to its total.
 * Tags carry the stream under both names in use: `endpoint` (singer-python) and `stream` (SDK).
 */
export interface MetricPoint {
  readonly type: 'counter' | 'timer';
  readonly metric: string;
  readonly value: number;
  readonly tags: Readonly<Record<string, string>>;
}

export const METRIC_PREFIX = 'METRIC: ';

export function metricLine(point: MetricPoint): string {
  return `${METRIC_PREFIX}${JSON.stringify(point)}`;
}

export function recordCount(stream: string, increase: number): MetricPoint {
  return {
    type: 'counter',
    metric: 'record_count',
    value: increase,
    tags: { endpoint: stream, stream },
  };
}

/** `value` in seconds, as singer-python's Timer reports it. */
export function syncDuration(
  stream: string,
  seconds: number,
  status: 'succeeded' | 'failed',
): MetricPoint {
  return {
    type: 'timer',
    metric: 'sync_duration',
    value: Math.round(seconds * 1000) / 1000,
    tags: { endpoint: stream, stream, status },
  };
}
