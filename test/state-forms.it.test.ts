import { lastState, parseMessages, records, selectStreams } from './support/catalog-helpers';
import { contractViolations } from './support/output-contract';
import { runTap, tempFiles, type TapRun } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * States from elsewhere: Meltano's `{"singer_state": …}` resumes like the bare value, and every
 * bookmark the run cannot use is named on stderr with the reason, once per stream.
 */
describe('state forms and discarded bookmarks', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;
  let discovered: Parameters<typeof selectStreams>[0];

  const catalog = (sel: Parameters<typeof selectStreams>[1]) =>
    files.write(`catalog-${Math.random()}.json`, selectStreams(discovered, sel));
  const sync = async (sel: Parameters<typeof selectStreams>[1], state: unknown) => {
    const r = await runTap([
      '--config',
      config,
      '--catalog',
      catalog(sel),
      '--state',
      files.write(`state-${Math.random()}.json`, state),
    ]);
    expect(contractViolations(r, { allowed: [0] })).toEqual([]);
    return r;
  };
  const discardLines = (r: TapRun) => r.stderrLines.filter((l) => l.includes('discarded'));
  const incremental = { 'public-events': { method: 'INCREMENTAL', replicationKey: 'id' } } as const;
  const idBookmark = {
    last_replication_method: 'INCREMENTAL',
    replication_key: 'id',
    replication_key_value: 2,
  };

  beforeAll(async () => {
    db = await createTestDatabase('stateforms');
    await db.query(`
      CREATE TABLE public.events (id int PRIMARY KEY, seq int, label text);
      INSERT INTO public.events VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c');`);
    config = files.write('config.json', db.config);
    const r = await runTap(['--config', config, '--discover']);
    expect(r.code).toBe(0);
    discovered = JSON.parse(r.stdout);
  });
  afterAll(async () => {
    await db.drop();
  });

  it("Meltano's {singer_state: …} resumes from its bookmark: only rows from the bookmark on", async () => {
    const r = await sync(incremental, {
      singer_state: { bookmarks: { 'public-events': idBookmark } },
    });
    expect(records(parseMessages(r.stdout)).map((x) => x.id)).toEqual([2, 3]);
    expect(discardLines(r)).toEqual([]);
  });

  it('a bare state with the same bookmark resumes alike', async () => {
    const r = await sync(incremental, { bookmarks: { 'public-events': idBookmark } });
    expect(records(parseMessages(r.stdout)).map((x) => x.id)).toEqual([2, 3]);
  });

  it('the state inside singer_state is validated as usual: a bad one is exit 2, nothing on stdout', async () => {
    const r = await runTap([
      '--config',
      config,
      '--catalog',
      catalog(incremental),
      '--state',
      files.write('bad-wrapped.json', { singer_state: { bookmarks: 5 } }),
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderrLines.filter((l) => l.startsWith('CRITICAL'))).toEqual([
      expect.stringMatching(/bookmarks/),
    ]);
  });

  it.each<[string, Parameters<typeof selectStreams>[1], Record<string, unknown>, string]>([
    [
      'a LOG_BASED lsn, the stream now INCREMENTAL',
      incremental,
      { last_replication_method: 'LOG_BASED', lsn: 123456, version: 1 },
      'the bookmark was written by LOG_BASED (lsn 123456) replication and the stream is now INCREMENTAL',
    ],
    [
      'an lsn without a method (Mage), the stream now FULL_TABLE',
      { 'public-events': { method: 'FULL_TABLE' } },
      { lsn: 99 },
      'the bookmark was written by LOG_BASED (lsn 99) replication and the stream is now FULL_TABLE',
    ],
    [
      'an INCREMENTAL bookmark, the stream now FULL_TABLE',
      { 'public-events': { method: 'FULL_TABLE' } },
      idBookmark,
      'the bookmark was written by INCREMENTAL replication and the stream is now FULL_TABLE',
    ],
    [
      'another replication key',
      { 'public-events': { method: 'INCREMENTAL', replicationKey: 'seq' } },
      idBookmark,
      "the bookmark is for replication key 'id' and the catalog's is 'seq'",
    ],
  ])('%s: one line naming the reason, and every row again', async (_n, sel, bookmark, reason) => {
    const r = await sync(sel, { bookmarks: { 'public-events': bookmark } });
    expect(records(parseMessages(r.stdout)).map((x) => x.id)).toEqual([1, 2, 3]);
    expect(discardLines(r)).toEqual([
      `WARN public-events: state bookmark discarded: ${reason}; the stream starts over`,
    ]);
  });

  it("an interrupted copy's resume point of another key: one line, the copy starts over", async () => {
    const r = await sync(
      { 'public-events': { method: 'FULL_TABLE' } },
      {
        bookmarks: {
          'public-events': {
            last_replication_method: 'FULL_TABLE',
            version: 1700000000000,
            last_pk_fetched: { other_id: 2 },
          },
        },
      },
    );
    const msgs = parseMessages(r.stdout);
    expect(records(msgs).map((x) => x.id)).toEqual([1, 2, 3]);
    expect(discardLines(r)).toEqual([
      "WARN public-events: state bookmark's last_pk_fetched discarded: it does not hold a value of every primary key column (id); the interrupted copy starts over",
    ]);
    expect(lastState(msgs)!.bookmarks['public-events']).not.toHaveProperty('last_pk_fetched');
  });
});
