import type { ReplicationMethod } from '../config/tap-config';
import type { Logger } from '../log/logger';
import type { Bookmark, TapState } from './tap-state';

/**
 * The method a bookmark was written by: its `last_replication_method`, or, in states that do not
 * record it (Mage, MeltanoLabs, older singer taps), what its keys show.
 */
function methodOf(b: Bookmark): ReplicationMethod | undefined {
  if (b.last_replication_method) return b.last_replication_method;
  if (b.replication_key === '_sdc_lsn' || (b.lsn !== undefined && b.lsn !== null))
    return 'LOG_BASED';
  if (b.replication_key != null || b.replication_key_value != null) return 'INCREMENTAL';
  return undefined;
}

function describe(b: Bookmark, method: ReplicationMethod): string {
  if (method === 'LOG_BASED' && typeof b.lsn === 'number') return `LOG_BASED (lsn ${b.lsn})`;
  return method;
}

/**
 * Why a stream's bookmark cannot be used, or null when it can. A bookmark of another replication
 * method or replication key would resume from a position that means something else, so the
 * stream starts over, as singer-io and pipelinewise do.
 */
export function discardReason(
  b: Bookmark,
  method: ReplicationMethod,
  replicationKey: string | null,
): string | null {
  const was = methodOf(b);
  if (was && was !== method)
    return `the bookmark was written by ${describe(b, was)} replication and the stream is now ${method}`;
  if (method === 'INCREMENTAL' && b.replication_key != null && b.replication_key !== replicationKey)
    return `the bookmark is for replication key '${b.replication_key}' and the catalog's is ${replicationKey === null ? 'not set' : `'${replicationKey}'`}`;
  return null;
}

/** One line per selected stream whose bookmark the run will not use, before anything is synced. */
export function logDiscardedBookmarks(
  state: TapState,
  streams: readonly {
    readonly tapStreamId: string;
    readonly method: ReplicationMethod;
    readonly replicationKey: string | null;
  }[],
  log: Pick<Logger, 'warn'>,
): void {
  for (const s of streams) {
    const b = state.bookmarks[s.tapStreamId];
    const why = b ? discardReason(b, s.method, s.replicationKey) : null;
    if (why) log.warn(`${s.tapStreamId}: state bookmark discarded: ${why}; the stream starts over`);
  }
}
