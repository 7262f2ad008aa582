import { LiveState } from './live-state';
import { parseState, RawJson, serializeState, type Bookmark, type TapState } from './tap-state';

/** What the STATE was before LiveState: a frozen copy per change, serialised whole. */
function copied(state: TapState, changes: ReadonlyArray<[string, Bookmark] | string | null>) {
  let s: TapState = state;
  for (const c of changes) {
    s =
      c === null || typeof c === 'string'
        ? { ...s, currently_syncing: c }
        : { ...s, bookmarks: { ...s.bookmarks, [c[0]]: c[1] } };
  }
  return serializeState(s);
}

function applied(state: TapState, changes: ReadonlyArray<[string, Bookmark] | string | null>) {
  const live = new LiveState(state);
  for (const c of changes) {
    if (c === null || typeof c === 'string') live.setCurrentlySyncing(c);
    else live.setBookmark(c[0], c[1]);
  }
  return live;
}

describe('LiveState', () => {
  // An incoming state with keys the tap does not know (passed through), bookmarks in an order of
  // their own, and an exact big number.
  const incoming = parseState(
    {
      bookmarks: {
        'public-b': { version: 1, last_pk_fetched: { id: new RawJson('9007199254740993') } },
        'public-a': { replication_key: 'n', replication_key_value: new RawJson('1.10') },
      },
      extra: { kept: [1, new RawJson('2.50')] },
      currently_syncing: 'public-b',
    },
    'state',
  );

  it('serialises exactly as the whole state, after any changes', () => {
    const changes: Array<[string, Bookmark] | string | null> = [
      ['public-c', { version: 3, xmin: null, lsn: undefined }],
      'public-c',
      ['public-b', { version: 2, last_pk_fetched: { id: new RawJson('123456789012345678901') } }],
      null,
      ['public-a', { replication_key: 'n', replication_key_value: new RawJson('2.000') }],
    ];
    for (let i = 0; i <= changes.length; i++) {
      expect(applied(incoming, changes.slice(0, i)).serialize()).toBe(
        copied(incoming, changes.slice(0, i)),
      );
    }
    expect(applied(incoming, changes).serialize()).toBe(
      '{"bookmarks":{"public-b":{"version":2,"last_pk_fetched":{"id":123456789012345678901}},' +
        '"public-a":{"replication_key":"n","replication_key_value":2.000},"public-c":{"version":3,"xmin":null}},' +
        '"extra":{"kept":[1,2.50]},"currently_syncing":null}',
    );
  });

  it('serialises a bookmark changed after a STATE again, and leaves the incoming state alone', () => {
    const live = new LiveState(incoming);
    const before = live.serialize();
    live.setBookmark('public-a', { version: 9 });
    expect(live.serialize()).not.toBe(before);
    expect(live.bookmarks['public-a']).toEqual({ version: 9 });
    expect(incoming.bookmarks['public-a']).toMatchObject({ replication_key: 'n' });
    expect(live.serialize()).toBe(copied(incoming, [['public-a', { version: 9 }]]));
  });

  it('keeps a stream id that is an object property name as a bookmark', () => {
    const live = new LiveState(parseState({}, 'state'));
    live.setBookmark('__proto__', { version: 1 });
    expect(live.serialize()).toBe(
      '{"currently_syncing":null,"bookmarks":{"__proto__":{"version":1}}}',
    );
  });

  it('counts changes, bookmarks apart from currently_syncing', () => {
    const live = new LiveState(incoming);
    live.setCurrentlySyncing('public-b'); // unchanged
    expect([live.revision, live.bookmarkRevision]).toEqual([0, 0]);
    live.setCurrentlySyncing('public-a');
    live.setBookmark('public-a', {});
    expect([live.revision, live.bookmarkRevision]).toEqual([2, 1]);
  });
});
