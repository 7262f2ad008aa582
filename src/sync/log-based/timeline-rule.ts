import type { TapConfig } from '../../config/tap-config';
import type { Queryable } from '../../discovery/catalog-query';
import { compareLsn, formatLsn } from '../../replication/lsn';
import { endOfTimeline, serverTimeline, timelineHistory } from '../../replication/timeline';
import { bookmarkFor, type TapState } from '../../state/tap-state';
import { bookmarkLsn } from './offset';
import type { LostStream } from './readiness';

/**
 * A bookmark records the timeline its LSN is on. After a promotion the new primary writes a new
 * timeline that branched off the old one at a switchpoint; WAL past that point on the old
 * timeline never reached it. A bookmark past the switchpoint means the target has changes this
 * server never had (the standby lagged: synchronized_standby_slots did not hold the tap back),
 * and, worse, reading on from the bookmark would skip this server's own changes between the
 * switchpoint and the bookmark, which sit at the same LSNs: the stream is lost, never skipped.
 */
export async function divergedStreams(
  client: Queryable,
  config: TapConfig,
  ids: readonly string[],
  state: TapState,
): Promise<LostStream[]> {
  const marked = ids.flatMap((id) => {
    const b = bookmarkFor(state, id, 'LOG_BASED', null);
    const lsn = bookmarkLsn(b);
    return lsn && typeof b.timeline === 'number' ? [{ id, lsn, timeline: b.timeline }] : [];
  });
  if (marked.length === 0) return [];
  const current = await serverTimeline(client);
  if (current === null || marked.every((m) => m.timeline === current)) return [];
  const history = await timelineHistory(config, current);
  const out: LostStream[] = [];
  for (const m of marked) {
    const end = endOfTimeline(history, m.timeline, current);
    if (end === null) continue;
    if (end === undefined) {
      out.push({
        id: m.id,
        why: `the state's LSN for ${m.id} is on timeline ${m.timeline}, which this server's timeline ${current} does not descend from (a state from another server?)`,
      });
    } else if (compareLsn(m.lsn, end) > 0) {
      out.push({
        id: m.id,
        why: `the state's LSN for ${m.id} (${formatLsn(m.lsn)}, timeline ${m.timeline}) is past ${formatLsn(end)}, where this server's timeline ${current} branched off after a failover: the target holds changes this server never received, and reading on from the state would skip this server's own changes after ${formatLsn(end)}`,
      });
    }
  }
  return out;
}
