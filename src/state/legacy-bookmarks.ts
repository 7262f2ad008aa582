import type { SelectedStream } from '../catalog/stream-selection';
import type { Logger } from '../log/logger';
import type { TapState } from './tap-state';

/**
 * Before names were escaped, `"a-b".c` was the stream `a-b-c`; its id is now `a%2Db-c`. A state
 * written then has the bookmark under the old id, and without this the stream would start over
 * (a LOG_BASED stream copying its table again). The bookmark is taken over only when exactly one
 * selected stream joins to the old id and none is called by it, so the pair that shared an id
 * (whose bookmark could be either's) starts over instead.
 *
 * @returns the state with the bookmarks copied to the new ids, and what was taken over.
 */
export function adoptLegacyBookmarks(
  state: TapState,
  streams: readonly Pick<SelectedStream, 'tapStreamId' | 'schemaName' | 'tableName'>[],
): { state: TapState; adopted: Array<{ from: string; to: string }> } {
  const joined = (s: (typeof streams)[number]) => `${s.schemaName}-${s.tableName}`;
  const ids = new Set(streams.map((s) => s.tapStreamId));
  const count = new Map<string, number>();
  for (const s of streams) count.set(joined(s), (count.get(joined(s)) ?? 0) + 1);
  const adopted: Array<{ from: string; to: string }> = [];
  const bookmarks = { ...state.bookmarks };
  let current = state.currently_syncing;
  for (const s of streams) {
    const old = joined(s);
    if (old === s.tapStreamId || ids.has(old) || count.get(old) !== 1) continue;
    if (!Object.hasOwn(state.bookmarks, old) || Object.hasOwn(state.bookmarks, s.tapStreamId))
      continue;
    bookmarks[s.tapStreamId] = state.bookmarks[old]!;
    if (current === old) current = s.tapStreamId;
    adopted.push({ from: old, to: s.tapStreamId });
  }
  if (adopted.length === 0) return { state, adopted };
  return {
    state: Object.freeze({
      ...state,
      currently_syncing: current,
      bookmarks: Object.freeze(bookmarks),
    }),
    adopted,
  };
}

/** `adoptLegacyBookmarks`, saying what it took over. */
export function withLegacyBookmarks(
  state: TapState,
  streams: Parameters<typeof adoptLegacyBookmarks>[1],
  log: Pick<Logger, 'info'>,
): TapState {
  const r = adoptLegacyBookmarks(state, streams);
  for (const a of r.adopted)
    log.info(`stream ${a.to}: resuming from the bookmark of ${a.from}, its former id`);
  return r.state;
}
