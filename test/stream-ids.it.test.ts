import { parseMessages, records, selectStreams } from './support/catalog-helpers';
import { contractViolations } from './support/output-contract';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

interface Stream {
  tap_stream_id: string;
  stream: string;
  table_name: string;
  metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
}

/**
 * `"a-b".c` and `a."b-c"` joined with `-` are both `a-b-c`: one stream's bookmark, records and
 * ACTIVATE_VERSION would land on the other's. Each gets its own id, plain names keep
 * `<schema>-<table>`, and a catalog that still holds a shared id is refused before any output.
 */
describe('stream ids', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;
  let streams: Stream[];

  beforeAll(async () => {
    db = await createTestDatabase('ids');
    await db.query(`
      CREATE SCHEMA "a-b"; CREATE SCHEMA a;
      CREATE TABLE "a-b".c (id int PRIMARY KEY, v text);
      CREATE TABLE a."b-c" (id int PRIMARY KEY, v text);
      CREATE TABLE public.plain (id int PRIMARY KEY);
      CREATE TABLE public."x-y" (id int PRIMARY KEY);
      INSERT INTO public."x-y" VALUES (0), (1), (2);
      INSERT INTO "a-b".c VALUES (1, 'schema a-b');
      INSERT INTO a."b-c" VALUES (2, 'table b-c');
      INSERT INTO public.plain VALUES (3);`);
    config = files.write('config.json', db.config);
    const r = await runTap(['--config', config, '--discover']);
    expect(r.code).toBe(0);
    streams = (JSON.parse(r.stdout) as { streams: Stream[] }).streams;
  });
  afterAll(async () => {
    await db.drop();
  });

  it('discovery gives the two tables different ids; names without - keep <schema>-<table>', () => {
    expect(streams.map((s) => [s.tap_stream_id, s.stream, s.table_name])).toEqual([
      ['a%2Db-c', 'a%2Db-c', 'c'],
      ['a-b%2Dc', 'a-b%2Dc', 'b-c'],
      ['public-plain', 'public-plain', 'plain'],
      ['public-x%2Dy', 'public-x%2Dy', 'x-y'],
    ]);
  });

  it('FULL_TABLE keeps the two streams apart', async () => {
    const catalog = files.write(
      'catalog.json',
      selectStreams(
        { streams },
        {
          'a%2Db-c': { method: 'FULL_TABLE' },
          'a-b%2Dc': { method: 'FULL_TABLE' },
          'public-plain': { method: 'FULL_TABLE' },
        },
      ),
    );
    const r = await runTap(['--config', config, '--catalog', catalog]);
    expect(contractViolations(r, { allowed: [0] })).toEqual([]);
    const msgs = parseMessages(r.stdout);
    expect(records(msgs, 'a%2Db-c')).toEqual([{ id: 1, v: 'schema a-b' }]);
    expect(records(msgs, 'a-b%2Dc')).toEqual([{ id: 2, v: 'table b-c' }]);
    expect(records(msgs, 'public-plain')).toEqual([{ id: 3 }]);
    const bookmarks = [...msgs].reverse().find((m) => m.type === 'STATE')!.value!.bookmarks;
    expect(Object.keys(bookmarks).sort()).toEqual(['a%2Db-c', 'a-b%2Dc', 'public-plain']);
  });

  it('a catalog with two streams of one id is refused: exit 2, one CRITICAL line naming it', async () => {
    // What discovery wrote before names were escaped.
    const old = streams.map((s) =>
      s.tap_stream_id === 'public-plain' ? s : { ...s, tap_stream_id: 'a-b-c', stream: 'a-b-c' },
    );
    const catalog = files.write(
      'dup.json',
      selectStreams({ streams: old }, { 'a-b-c': { method: 'FULL_TABLE' } }),
    );
    for (const mode of [[], ['--check']]) {
      const r = await runTap(['--config', config, '--catalog', catalog, ...mode]);
      expect({ mode, violations: contractViolations(r, { allowed: [2] }) }).toEqual({
        mode,
        violations: [],
      });
      expect(r.stdout).toBe('');
      expect(r.stderrLines.filter((l) => l.startsWith('CRITICAL'))).toEqual([
        expect.stringMatching(/two streams have the tap_stream_id "a-b-c"/),
      ]);
    }
  });

  it('a bookmark kept under the id a name with - had before is taken over', async () => {
    const catalog = files.write(
      'incremental.json',
      selectStreams(
        { streams },
        { 'public-x%2Dy': { method: 'INCREMENTAL', replicationKey: 'id' } },
      ),
    );
    const state = files.write('old-state.json', {
      currently_syncing: null,
      bookmarks: {
        'public-x-y': {
          last_replication_method: 'INCREMENTAL',
          replication_key: 'id',
          replication_key_value: 1,
          version: 1,
        },
      },
    });
    const r = await runTap(['--config', config, '--catalog', catalog, '--state', state]);
    expect(contractViolations(r, { allowed: [0] })).toEqual([]);
    const msgs = parseMessages(r.stdout);
    expect(records(msgs, 'public-x%2Dy')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(r.stderr).toMatch(/stream public-x%2Dy: resuming from the bookmark of public-x-y/);
  });
});
