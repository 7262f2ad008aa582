import { adoptLegacyBookmarks } from './legacy-bookmarks';
import type { Bookmark, TapState } from './tap-state';

const stream = (schemaName: string, tableName: string, tapStreamId: string) => ({
  schemaName,
  tableName,
  tapStreamId,
});
const state = (bookmarks: Record<string, Bookmark>, current: string | null = null): TapState => ({
  currently_syncing: current,
  bookmarks,
});
const B = { last_replication_method: 'LOG_BASED' as const, lsn: 42, version: 1 };

describe('adoptLegacyBookmarks', () => {
  it("takes over a bookmark kept under the id a name with '-' had before", () => {
    const r = adoptLegacyBookmarks(state({ 'a-b-c': B }, 'a-b-c'), [stream('a-b', 'c', 'a%2Db-c')]);
    expect(r.adopted).toEqual([{ from: 'a-b-c', to: 'a%2Db-c' }]);
    expect(r.state.bookmarks['a%2Db-c']).toEqual(B);
    expect(r.state.currently_syncing).toBe('a%2Db-c');
  });

  it.each([
    [
      'the two tables that shared the id: whose it was is unknown',
      state({ 'a-b-c': B }),
      [stream('a-b', 'c', 'a%2Db-c'), stream('a', 'b-c', 'a-b%2Dc')],
    ],
    [
      'the stream already has its own bookmark',
      state({ 'a-b-c': B, 'a%2Db-c': {} }),
      [stream('a-b', 'c', 'a%2Db-c')],
    ],
    [
      'an old catalog: the stream is still called by the old id',
      state({ 'a-b-c': B }),
      [stream('a-b', 'c', 'a-b-c')],
    ],
    ['names without -: the id never changed', state({ 's-t': B }), [stream('s', 't', 's-t')]],
  ])('leaves the state alone: %s', (_what, s, streams) => {
    const r = adoptLegacyBookmarks(s, streams);
    expect(r.adopted).toEqual([]);
    expect(r.state).toBe(s);
  });
});
