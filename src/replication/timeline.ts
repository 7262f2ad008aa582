import type { TapConfig } from '../config/tap-config';
import { connectReplication } from '../db/connect';
import type { Queryable } from '../discovery/catalog-query';
import { parseLsn, type Lsn } from './lsn';

/**
 * The timeline the server writes on: it changes at every promotion, and the same LSN on two
 * timelines is different WAL. The first 8 hex digits of the current WAL file's name are the
 * timeline (right after a promotion too, before the checkpoint that puts it in pg_control).
 * Null on a standby, which writes no WAL of its own.
 */
export async function serverTimeline(client: Queryable): Promise<number | null> {
  const r = await client.query<{ file: string | null }>(
    `SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL
                 ELSE pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()) END AS file`,
  );
  const file = r.rows[0]?.file;
  return file ? parseInt(file.slice(0, 8), 16) : null;
}

/** One line of a timeline history file: `timeline` ended at `switchpoint`. */
export interface TimelineSwitch {
  readonly timeline: number;
  readonly switchpoint: Lsn;
}

/** Parses a history file: `<parent tli>\t<switchpoint>\t<reason>` per line, comments with '#'. */
export function parseTimelineHistory(content: string): TimelineSwitch[] {
  const out: TimelineSwitch[] = [];
  for (const line of content.split('\n')) {
    const m = /^\s*(\d+)\s+([0-9A-Fa-f]+\/[0-9A-Fa-f]+)/.exec(line);
    if (m) out.push({ timeline: Number(m[1]), switchpoint: parseLsn(m[2]!) });
  }
  return out;
}

/**
 * The history of `timeline` (every ancestor and where it ended), through the replication
 * protocol's TIMELINE_HISTORY, which any role that may replicate can run (the history files
 * themselves are readable by superusers only).
 */
export async function timelineHistory(
  config: TapConfig,
  timeline: number,
): Promise<TimelineSwitch[]> {
  if (timeline <= 1) return [];
  const client = await connectReplication(config);
  try {
    const r = await client.query<{ content: string | Buffer }>(
      `TIMELINE_HISTORY ${Math.trunc(timeline)}`,
    );
    const content = r.rows[0]?.content;
    return parseTimelineHistory(
      Buffer.isBuffer(content) ? content.toString('utf8') : String(content ?? ''),
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Where WAL of `from` stops being this server's WAL, given the current timeline's history: the
 * switchpoint at which `from` ended on the way to the current timeline. Null: `from` is the
 * current timeline (all of it is this server's). Undefined: `from` is not an ancestor at all.
 */
export function endOfTimeline(
  history: readonly TimelineSwitch[],
  from: number,
  current: number,
): Lsn | null | undefined {
  if (from === current) return null;
  return history.find((h) => h.timeline === from)?.switchpoint;
}
