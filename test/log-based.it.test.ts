import { Client } from 'pg';
import {
  lastState,
  parseMessages,
  records,
  replay,
  selectStreams,
  type Message,
} from './support/catalog-helpers';
import { runTap, tempFiles } from './support/run-tap';
import { dropSlotWhenReleased } from './support/slots';
import { killLeftoverTaps, startTap } from './support/tap-process';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * LOG_BASED end to end against a real slot: the first run copies inside the slot's snapshot, the
 * next runs stream committed changes, and the slot is confirmed only up to the incoming state.
 */
describe('LOG_BASED', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;
  let catalog: string;
  const slot = async () =>
    (
      await db.query<{ lsn: string }>(
        `SELECT (confirmed_flush_lsn - '0/0')::text AS lsn FROM pg_replication_slots WHERE slot_name = 'tap_postgres_${db.name}'`,
      )
    )[0]?.lsn;
  const run = async (state?: unknown) => {
    const args = ['--config', config, '--catalog', catalog];
    if (state) args.push('--state', files.write(`state-${Math.random()}.json`, state));
    const r = await runTap(args);
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    lastStdout = r.stdout;
    return parseMessages(r.stdout);
  };

  beforeAll(async () => {
    db = await createTestDatabase('logbased');
    await db.query(`
      CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), big bigint);
      INSERT INTO items VALUES (1, 'one', 1.10, 9007199254740993), (2, 'two', 2.20, 2), (3, 'three', 3.30, 3);
      CREATE PUBLICATION tap_postgres FOR TABLE items;
    `);
    // A STATE at every resumable point: the first run's checks read the STATE right after the copy.
    config = files.write('config.json', {
      ...db.config,
      logical_poll_total_seconds: 5,
      state_interval_seconds: 0,
    });
    const disc = await runTap(['--config', config, '--discover']);
    catalog = files.write(
      'catalog.json',
      selectStreams(JSON.parse(disc.stdout), { 'public-items': { method: 'LOG_BASED' } }),
    );
  });
  afterAll(async () => {
    await db.drop();
  });

  let lastStdout = '';
  let first: Message[];
  let second: Message[];

  it('first run: copies the table in the slot snapshot, with _sdc_lsn and _sdc_deleted_at in the SCHEMA', async () => {
    first = await run();
    const schema = first.find((m) => m.type === 'SCHEMA')!;
    expect(schema.schema!.properties).toMatchObject({
      id: { type: ['null', 'integer'] },
      _sdc_lsn: { type: ['null', 'integer'] },
      _sdc_deleted_at: { type: ['null', 'string'], format: 'date-time' },
    });
    const recs = records(first);
    expect(recs.map((r) => r.id)).toEqual([1, 2, 3]);
    // The STATE right after the copy carries the copy's LSN; later ones may move on with WAL.
    const afterCopy = first.find(
      (m) => m.type === 'STATE' && m.value?.bookmarks['public-items']?.lsn,
    )!.value!.bookmarks['public-items']!;
    expect(afterCopy.last_replication_method).toBe('LOG_BASED');
    expect(recs.every((r) => r._sdc_lsn === afterCopy.lsn && r._sdc_deleted_at === null)).toBe(
      true,
    );
    expect(lastState(first)!.bookmarks['public-items']!.lsn).toBeGreaterThanOrEqual(
      afterCopy.lsn as number,
    );
    // the copy's records render exactly like FULL_TABLE's
    expect(lastStdout).toContain('"price":1.10,"big":9007199254740993,');
  });

  it('next run: streams inserts, updates and deletes committed since, and only those', async () => {
    await db.query(`INSERT INTO items VALUES (4, 'four', 4.40, 4)`);
    await db.query(`UPDATE items SET name = 'ONE' WHERE id = 1`);
    await db.query(`DELETE FROM items WHERE id = 2`);
    const before = await slot();
    second = await run(lastState(first));
    const recs = records(second);
    expect(recs.map((r) => [r.id, r.name, r._sdc_deleted_at === null])).toEqual([
      [4, 'four', true],
      [1, 'ONE', true],
      [2, null, false],
    ]);
    const lsns = recs.map((r) => r._sdc_lsn as number);
    expect([...lsns].sort((a, b) => a - b)).toEqual(lsns); // non-decreasing in output order
    expect(recs[0]!.price).toBe(4.4);
    expect(String(recs[2]!._sdc_deleted_at)).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/,
    );
    const st = lastState(second)!.bookmarks['public-items']!;
    // at least the last change's commit; more when the walsender reported later WAL (idle progress)
    expect(st.lsn).toBeGreaterThanOrEqual(lsns[2]!);
    // The slot was confirmed up to the incoming state's LSN, never to what was printed.
    expect(await slot()).toBe(String(lastState(first)!.bookmarks['public-items']!.lsn));
    expect(before).toBeDefined();
  });

  it('replaying run 1 and run 2 into a keyed table equals the source', async () => {
    const ft = files.write(
      'ft.json',
      selectStreams(JSON.parse((await runTap(['--config', config, '--discover'])).stdout), {
        'public-items': { method: 'FULL_TABLE' },
      }),
    );
    const source = replay(
      parseMessages((await runTap(['--config', config, '--catalog', ft])).stdout),
      'id',
    );
    const target = replay([...first, ...second], 'id');
    expect([...target.entries()].sort()).toEqual([...source.entries()].sort());
    expect(target.size).toBe(3);
  });

  it('a run from the same state replays the same changes; a run from the new state emits none', async () => {
    const replayed = records(await run(lastState(first)));
    expect(replayed.map((r) => r.id)).toEqual([4, 1, 2]);
    const none = await run(lastState(second));
    expect(records(none)).toEqual([]);
    expect(await slot()).toBe(String(lastState(second)!.bookmarks['public-items']!.lsn));
  });

  it('a table added later is copied, then streamed, with no missing change', async () => {
    await db.query(`CREATE TABLE later (id int PRIMARY KEY, v text);
                    INSERT INTO later VALUES (1, 'a'), (2, 'b');
                    ALTER PUBLICATION tap_postgres ADD TABLE later;`);
    const disc = await runTap(['--config', config, '--discover']);
    catalog = files.write(
      'catalog2.json',
      selectStreams(JSON.parse(disc.stdout), {
        'public-items': { method: 'LOG_BASED' },
        'public-later': { method: 'LOG_BASED' },
      }),
    );
    await db.query(`INSERT INTO items VALUES (5, 'five', 5, 5)`);
    const third = await run(lastState(second));
    expect(records(third, 'public-later').map((r) => r.id)).toEqual([1, 2]);
    expect(records(third, 'public-items').map((r) => r.id)).toEqual([5]);
    await db.query(`INSERT INTO later VALUES (3, 'c')`);
    await db.query(`UPDATE later SET v = 'A' WHERE id = 1`);
    const fourth = await run(lastState(third));
    expect(records(fourth, 'public-later').map((r) => [r.id, r.v])).toEqual([
      [3, 'c'],
      [1, 'A'],
    ]);
    expect(records(fourth, 'public-items')).toEqual([]);
    second = fourth;
  });

  it("ack_mode on_emit confirms what was printed (at the user's risk)", async () => {
    await db.query(`INSERT INTO items VALUES (6, 'six', 6, 6)`);
    const onEmit = files.write('on-emit.json', {
      ...db.config,
      logical_poll_total_seconds: 5,
      ack_mode: 'on_emit',
    });
    const r = await runTap([
      '--config',
      onEmit,
      '--catalog',
      catalog,
      '--state',
      files.write('s-on-emit.json', lastState(second)),
    ]);
    expect(r.code).toBe(0);
    const msgs = parseMessages(r.stdout);
    expect(records(msgs).map((x) => x.id)).toEqual([6]);
    expect(await slot()).toBe(String(lastState(msgs)!.bookmarks['public-items']!.lsn));
    second = msgs;
  });

  it('ack_mode on_emit never confirms a position whose STATE the interval held back', async () => {
    const before = await slot();
    expect(before).toBe(String(lastState(second)!.bookmarks['public-items']!.lsn));
    await db.query(`INSERT INTO items VALUES (7, 'seven', 7, 7)`);
    await db.query(`INSERT INTO items VALUES (8, 'eight', 8, 8)`);
    const held = files.write('on-emit-held.json', {
      ...db.config,
      ack_mode: 'on_emit',
      break_at_end_lsn: false,
      logical_poll_total_seconds: 4,
      state_interval_seconds: 3600,
    });
    const tap = startTap([
      '--config',
      held,
      '--catalog',
      catalog,
      '--state',
      files.write('s-on-emit-held.json', lastState(second)),
    ]);
    try {
      await tap.until((m) => m.type === 'RECORD' && m.record?.id === 8);
      // Both transactions are written and the run waits for more changes: their STATEs are held
      // back, so the slot stays where the incoming state is.
      await new Promise((r) => setTimeout(r, 1500));
      expect(tap.messages.filter((m) => m.type === 'STATE')).toEqual([]);
      expect(await slot()).toBe(before);
      expect((await tap.exited).code).toBe(0);
    } finally {
      await killLeftoverTaps();
    }
    // The run's last STATE is printed, and confirmed.
    expect(records(tap.messages).map((x) => x.id)).toEqual([7, 8]);
    expect(await slot()).toBe(String(lastState(tap.messages)!.bookmarks['public-items']!.lsn));
    second = tap.messages;
  });

  it.each([
    [
      'a slot with another plugin',
      async () => {
        await db.query(
          `SELECT pg_create_logical_replication_slot('other_plugin', 'test_decoding')`,
        );
        return { replication_slot: 'other_plugin' };
      },
      /slot 'other_plugin' uses the plugin 'test_decoding', not 'pgoutput': drop it with `SELECT pg_drop_replication_slot\('other_plugin'\);`/,
    ],
    [
      'a role without REPLICATION',
      async () => {
        await db.query(`DROP ROLE IF EXISTS norepl; CREATE ROLE norepl LOGIN PASSWORD 'norepl-pw';
                        GRANT SELECT ON items, later TO norepl`);
        return { user: 'norepl', password: 'norepl-pw' };
      },
      /role 'norepl' lacks the REPLICATION privilege: run `ALTER ROLE "norepl" WITH REPLICATION;`/,
    ],
  ])('%s: exit 1 before any output, with the SQL that fixes it', async (_n, setup, message) => {
    const patch = await setup();
    const c = files.write(`setup-${Math.random()}.json`, { ...db.config, ...patch });
    const r = await runTap(['--config', c, '--catalog', catalog]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('refuses to go on when the slot is gone but the state has an LSN', async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    await dropSlotWhenReleased(c, `tap_postgres_${db.name}`);
    await c.end();
    const r = await runTap([
      '--config',
      config,
      '--catalog',
      catalog,
      '--state',
      files.write('gone.json', lastState(second)),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /replication slot 'tap_postgres_.*' does not exist but the state has an LSN/,
    );
    expect(records(parseMessages(r.stdout))).toEqual([]);
  });
});
