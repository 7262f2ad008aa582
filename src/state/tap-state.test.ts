import { bookmarkFor, EMPTY_STATE, parseState, RawJson, serializeState } from './tap-state';

const pipelinewise = {
  currently_syncing: 'public-big',
  bookmarks: {
    'public-users': {
      last_replication_method: 'LOG_BASED',
      version: 1700000000000,
      lsn: 23816736,
      xmin: null,
    },
    'public-orders': {
      last_replication_method: 'INCREMENTAL',
      version: 1700000000000,
      replication_key: 'updated_at',
      replication_key_value: '2024-01-01T10:00:00+00:00',
    },
    'public-big': { last_replication_method: 'FULL_TABLE', version: 1700000000000, xmin: 123456 },
  },
};

describe('state', () => {
  it('accepts a pipelinewise state and a whole STATE message', () => {
    expect(parseState(pipelinewise, 's')).toEqual(pipelinewise);
    expect(parseState({ type: 'STATE', value: pipelinewise }, 's')).toEqual(pipelinewise);
    expect(parseState({}, 's')).toEqual(EMPTY_STATE);
  });

  it("accepts Meltano's forms: {singer_state} and its backends' {completed: {singer_state}}", () => {
    expect(parseState({ singer_state: pipelinewise }, 's')).toEqual(pipelinewise);
    expect(parseState({ completed: { singer_state: pipelinewise }, partial: {} }, 's')).toEqual(
      pipelinewise,
    );
  });

  it.each([
    ['an array', [], /must be a JSON object/],
    ['bookmarks of the wrong type', { bookmarks: [] }, /'bookmarks' must be object/],
    [
      'a bad method',
      { bookmarks: { a: { last_replication_method: 'SOMETIMES' } } },
      /last_replication_method/,
    ],
    ['a negative lsn', { bookmarks: { a: { lsn: -1 } } }, /lsn/],
  ])('rejects %s', (_n, doc, msg) => {
    expect(() => parseState(doc, 'state file s.json')).toThrow(msg);
  });

  it.each([
    [
      'same INCREMENTAL key',
      'public-orders',
      'INCREMENTAL',
      'updated_at',
      pipelinewise.bookmarks['public-orders'],
    ],
    ['changed INCREMENTAL key resets', 'public-orders', 'INCREMENTAL', 'id', {}],
    ['changed method resets', 'public-orders', 'FULL_TABLE', null, {}],
    [
      'FULL_TABLE resume marker kept',
      'public-big',
      'FULL_TABLE',
      null,
      pipelinewise.bookmarks['public-big'],
    ],
    ['unknown stream', 'public-none', 'FULL_TABLE', null, {}],
  ] as const)('bookmarkFor: %s', (_n, id, method, key, expected) => {
    expect(bookmarkFor(parseState(pipelinewise, 's'), id, method, key)).toEqual(expected);
  });

  it('reads a MeltanoLabs LOG_BASED bookmark as lsn', () => {
    const s = parseState(
      { bookmarks: { 'public-t': { replication_key: '_sdc_lsn', replication_key_value: 4242 } } },
      's',
    );
    expect(bookmarkFor(s, 'public-t', 'LOG_BASED', null)).toEqual({
      last_replication_method: 'LOG_BASED',
      version: null,
      lsn: 4242,
    });
  });

  it('prints raw bookmark values exactly', () => {
    const s = {
      ...EMPTY_STATE,
      bookmarks: {
        'public-t': {
          replication_key: 'id',
          replication_key_value: new RawJson('9007199254740993'),
          xmin: undefined,
        },
      },
    };
    expect(serializeState(s)).toBe(
      '{"currently_syncing":null,"bookmarks":{"public-t":{"replication_key":"id","replication_key_value":9007199254740993}}}',
    );
  });
});
