/** One stream's progress at one moment; the renderers below are pure so they can be tested alone. */
export interface StreamProgress {
  readonly stream: string;
  readonly rows: number;
  /** The planner's row estimate (pg_class.reltuples) when known. */
  readonly estimate: number | null;
  readonly elapsedMs: number;
}

const group = (n: number): string => Math.round(n).toLocaleString('en-US');

export function rowsPerSecond(p: StreamProgress): number {
  return p.elapsedMs > 0 ? (p.rows * 1000) / p.elapsedMs : 0;
}

/** The estimate only helps while it is ahead of what was read (it is often stale, or the stream is a change log). */
function fraction(p: StreamProgress): number | null {
  if (p.estimate === null || p.estimate <= 0 || p.rows > p.estimate) return null;
  return p.rows / p.estimate;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

function eta(p: StreamProgress): string | null {
  const f = fraction(p);
  const rate = rowsPerSecond(p);
  if (f === null || rate <= 0) return null;
  return formatDuration((p.estimate! - p.rows) / rate);
}

function counts(p: StreamProgress): string {
  const f = fraction(p);
  const total = f === null ? '' : ` of ~${group(p.estimate!)}`;
  const pct = f === null ? '' : ` (${Math.floor(f * 100)}%)`;
  const e = eta(p);
  return `${group(p.rows)}${total} rows${pct}, ${group(rowsPerSecond(p))} rows/s${e ? `, ETA ${e}` : ''}`;
}

/** The line printed at each interval when stderr is not a terminal. */
export function plainProgressLine(p: StreamProgress): string {
  return `progress ${p.stream}: ${counts(p)}, ${formatDuration(p.elapsedMs / 1000)} elapsed`;
}

/** One terminal line: `stream [#####-----]  42%  12,345/~29,000 rows  3,210 rows/s  ETA 0:05`. */
export function progressBarLine(p: StreamProgress, columns: number): string {
  const f = fraction(p);
  const e = eta(p);
  const right = [
    f === null ? '' : `${String(Math.floor(f * 100)).padStart(3)}%`,
    `${group(p.rows)}${f === null ? '' : `/~${group(p.estimate!)}`} rows`,
    `${group(rowsPerSecond(p))} rows/s`,
    e ? `ETA ${e}` : `${formatDuration(p.elapsedMs / 1000)} elapsed`,
  ]
    .filter(Boolean)
    .join('  ');
  const name = p.stream.length > 28 ? `${p.stream.slice(0, 27)}…` : p.stream.padEnd(20);
  const barWidth = Math.max(0, Math.min(30, columns - name.length - right.length - 6));
  if (barWidth < 5) return `${name}  ${right}`.slice(0, Math.max(columns - 1, 1));
  const filled = f === null ? 0 : Math.round(f * barWidth);
  const bar =
    f === null ? '·'.repeat(barWidth) : `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}`;
  return `${name} [${bar}] ${right}`;
}
