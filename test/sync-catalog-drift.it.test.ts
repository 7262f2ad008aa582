import { lastState, parseMessages, records, selectStreams } from './support/catalog-helpers';
import { recordSchemaErrors } from './support/record-schemas';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/** The database no longer is what the catalog was discovered from, or cannot be read as is. */
describe('FULL_TABLE and INCREMENTAL against a changed database', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;
  const discover = async () => {
    const r = await runTap(['--config', config, '--discover']);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Parameters<typeof selectStreams>[0];
  };

  beforeAll(async () => {
    db = await createTestDatabase('drift');
    config = files.write('config.json', { ...db.config });
  });
  afterAll(async () => {
    await db.drop();
  });

  describe('a column type changed after discovery', () => {
    let catalog: Parameters<typeof selectStreams>[0];
    beforeAll(async () => {
      await db.query(`
        CREATE TABLE retype (id int PRIMARY KEY, v int, w int, note text, at timestamptz);
        INSERT INTO retype VALUES (1, 1, 1, 'one', '2024-01-01Z');
      `);
      catalog = await discover();
      // A property edited by hand while its type stays what discovery saw: kept as it is.
      const stream = catalog.streams.find(
        (s) => s.tap_stream_id === 'public-retype',
      ) as unknown as {
        schema: { properties: Record<string, Record<string, unknown>> };
      };
      stream.schema.properties.note!.description = 'edited';
      await db.query(`
        ALTER TABLE retype ALTER COLUMN v TYPE text;
        ALTER TABLE retype ALTER COLUMN w TYPE bigint;
        INSERT INTO retype VALUES (2, 'abc', 3000000000, 'two', '2024-01-02Z');
      `);
    });

    it.each([
      ['FULL_TABLE', { method: 'FULL_TABLE' as const }],
      ['INCREMENTAL', { method: 'INCREMENTAL' as const, replicationKey: 'at' }],
    ])(
      '%s: the SCHEMA follows the live types, and every RECORD is valid under it',
      async (_n, sel) => {
        const k = files.write('retype.json', selectStreams(catalog, { 'public-retype': sel }));
        const r = await runTap(['--config', config, '--catalog', k]);
        expect(r.code).toBe(0);
        const msgs = parseMessages(r.stdout);
        expect(records(msgs)).toEqual([
          { id: 1, v: '1', w: 1, note: 'one', at: '2024-01-01T00:00:00+00:00' },
          { id: 2, v: 'abc', w: 3000000000, note: 'two', at: '2024-01-02T00:00:00+00:00' },
        ]);
        expect(recordSchemaErrors(msgs)).toEqual([]);
        const props = msgs.find((m) => m.type === 'SCHEMA')!.schema!.properties as Record<
          string,
          unknown
        >;
        expect(props.v).toEqual({ type: ['null', 'string'] });
        expect(props.w).toEqual({ type: ['null', 'integer'] });
        expect(props.note).toEqual({ type: ['null', 'string'], description: 'edited' });
        const info = r.stderrLines.filter((l) => l.includes('follows the live type'));
        expect(info).toEqual([
          expect.stringMatching(
            /^INFO public-retype: column 'v' is text \(discovered as integer\)/,
          ),
          expect.stringMatching(
            /^INFO public-retype: column 'w' is bigint \(discovered as integer\)/,
          ),
        ]);
      },
    );
  });

  describe('INCREMENTAL whose last key JSON cannot carry', () => {
    it.each([
      ['timestamp', ["'2024-01-01'", "'2024-01-02'", "'infinity'"], 'infinity', "'2024-01-03'"],
      ['numeric', ['1', '2', "'NaN'"], 'NaN', '3'],
    ])(
      '%s: the bookmark is the text, and the next run resumes there',
      async (type, values, bookmark, later) => {
        const t = `inc_${type}`;
        await db.query(`CREATE TABLE ${t} (id serial PRIMARY KEY, k ${type})`);
        await db.query(`INSERT INTO ${t} (k) VALUES (${values.join('), (')})`);
        const catalog = files.write(
          `${t}.json`,
          selectStreams(await discover(), {
            [`public-${t}`]: { method: 'INCREMENTAL', replicationKey: 'k' },
          }),
        );
        const first = await runTap(['--config', config, '--catalog', catalog]);
        expect(first.code).toBe(0);
        const msgs = parseMessages(first.stdout);
        expect(records(msgs)).toHaveLength(3);
        const state = lastState(msgs)!;
        expect(state.bookmarks[`public-${t}`]!.replication_key_value).toBe(bookmark);
        // A row below the bookmark is not INCREMENTAL's to see; one at it comes again.
        await db.query(`INSERT INTO ${t} (k) VALUES (${later}), (${values[2]})`);
        const second = await runTap([
          '--config',
          config,
          '--catalog',
          catalog,
          '--state',
          files.write(`${t}-state.json`, state),
        ]);
        expect(second.code).toBe(0);
        expect(records(parseMessages(second.stdout)).map((r) => r.id)).toEqual([3, 5]);
      },
    );
  });

  describe('a materialized view created WITH NO DATA', () => {
    beforeAll(async () => {
      await db.query(`
        CREATE SCHEMA mv;
        CREATE TABLE mv.a (id int PRIMARY KEY, at timestamptz);
        INSERT INTO mv.a VALUES (1, '2024-01-01Z'), (2, '2024-01-02Z');
        CREATE MATERIALIZED VIEW mv.m AS SELECT id, at FROM mv.a WITH NO DATA;
        CREATE TABLE mv.z (id int PRIMARY KEY);
        INSERT INTO mv.z VALUES (7);
      `);
    });

    it.each([
      ['FULL_TABLE', { method: 'FULL_TABLE' as const }],
      ['INCREMENTAL', { method: 'INCREMENTAL' as const, replicationKey: 'at' }],
    ])('%s: is skipped with a warning; the streams after it are synced', async (_n, sel) => {
      const catalog = selectStreams(await discover(), {
        'mv-a': { method: 'FULL_TABLE' },
        'mv-m': sel,
        'mv-z': { method: 'FULL_TABLE' },
      });
      const r = await runTap(['--config', config, '--catalog', files.write('mv.json', catalog)]);
      expect(r.stderr).not.toMatch(/CRITICAL/);
      expect(r.code).toBe(0);
      const msgs = parseMessages(r.stdout);
      expect(records(msgs, 'mv-a')).toHaveLength(2);
      expect(records(msgs, 'mv-z')).toEqual([{ id: 7 }]);
      expect(msgs.filter((m) => m.stream === 'mv-m')).toEqual([]);
      const warnings = r.stderrLines.filter((l) => l.includes('mv-m'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^WARN.*REFRESH MATERIALIZED VIEW "mv"\."m"/);
      const state = [...msgs].reverse().find((m) => m.type === 'STATE')!.value!;
      expect(state.bookmarks['mv-m']).toBeUndefined();
    });
  });
});
