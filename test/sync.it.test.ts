import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BIN, runTap, tempFiles } from './support/run-tap';
import {
  lastState,
  parseMessages,
  records,
  selectStreams,
  type Message,
} from './support/catalog-helpers';
import { createTestDatabase, type TestDatabase } from './support/test-db';

describe('FULL_TABLE and INCREMENTAL sync', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;
  let discovered: {
    streams: Array<{
      tap_stream_id: string;
      metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
    }>;
  };

  const catalogFile = (name: string, sel: Parameters<typeof selectStreams>[1]) =>
    files.write(name, selectStreams(discovered, sel));

  /** Reads of `commits` so far: each is a transaction of its own in the same counter. */
  let polls = 0;
  /** Transactions committed in the test database; each statement of the tap is one. */
  const commits = async () => {
    polls++;
    const [row] = await db.query<{ n: string }>(
      `SELECT pg_stat_clear_snapshot(), xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()`,
    );
    return Number(row!.n);
  };
  /**
   * `commits` once it stops moving (the tap's session reports its counts as it ends), less this
   * test's own reads: a slow machine takes more of them to settle, which is no statement of the
   * tap's.
   */
  const settled = async () => {
    let last = await commits();
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const now = await commits();
      if (now === last && i >= 3) break;
      last = now;
    }
    return last - polls;
  };

  beforeAll(async () => {
    db = await createTestDatabase('sync');
    await db.query(`
      CREATE TABLE public.big (id int PRIMARY KEY, payload text, secret text);
      INSERT INTO public.big SELECT i, md5(i::text), 'hidden' FROM generate_series(1, 5000) i;
      CREATE TABLE public.events (id bigint PRIMARY KEY, updated_at timestamptz, n numeric(20,4), d date, label text);
      INSERT INTO public.events VALUES
        (1, '2024-01-01 10:00:00.000001+00', 1.5, '2024-01-01', 'a'),
        (2, '2024-01-02 10:00:00+00', 2.25, '2024-01-02', 'b'),
        (3, '2024-01-03 10:00:00+00', 3.125, '2024-01-03', 'c');
      CREATE TABLE public.nokey (v text);
      INSERT INTO public.nokey SELECT 'v' || i FROM generate_series(1, 30) i;
      CREATE VIEW public.big_view AS SELECT id, payload FROM public.big WHERE id <= 10;
      CREATE SCHEMA "Mixed Schema";
      CREATE TABLE "Mixed Schema"."Weird ""Name""; DROP TABLE public.big; --" ("Id" int PRIMARY KEY, "Col ""Quote""" text, "select" int);
      INSERT INTO "Mixed Schema"."Weird ""Name""; DROP TABLE public.big; --" SELECT i, 'q' || i, i * 10 FROM generate_series(1, 3) i;
    `);
    config = files.write('config.json', { ...db.config, batch_fetch_limit: 1000 });
    const r = await runTap(['--config', config, '--discover']);
    expect(r.code).toBe(0);
    discovered = JSON.parse(r.stdout);
  });
  afterAll(async () => {
    await db.drop();
  });

  describe('FULL_TABLE', () => {
    it('emits SCHEMA, ACTIVATE_VERSION, every row with its version, then ACTIVATE_VERSION and STATE', async () => {
      const k = catalogFile('ft.json', {
        'public-big': { method: 'FULL_TABLE', deselect: ['secret'] },
      });
      const r = await runTap(['--config', config, '--catalog', k]);
      expect(r.code).toBe(0);
      const msgs = parseMessages(r.stdout);
      expect(msgs[0]).toMatchObject({
        type: 'SCHEMA',
        stream: 'public-big',
        key_properties: ['id'],
        bookmark_properties: [],
      });
      const types = msgs.map((m) => m.type);
      expect(types[1]).toBe('ACTIVATE_VERSION');
      const recs = records(msgs, 'public-big');
      expect(recs).toHaveLength(5000);
      expect(new Set(recs.map((x) => x.id)).size).toBe(5000);
      expect(recs[0]).toEqual({ id: 1, payload: 'c4ca4238a0b923820dcc509a6f75849b' }); // deselected column never read
      const av = msgs.filter((m) => m.type === 'ACTIVATE_VERSION');
      expect(av).toHaveLength(2);
      const version = av[0]!.version;
      expect(msgs.filter((m) => m.type === 'RECORD').every((m) => m.version === version)).toBe(
        true,
      );
      expect(types.indexOf('ACTIVATE_VERSION')).toBeLessThan(types.indexOf('RECORD'));
      expect(types.lastIndexOf('ACTIVATE_VERSION')).toBeGreaterThan(types.lastIndexOf('RECORD'));
      const st = lastState(msgs)!;
      expect(st.currently_syncing).toBeNull();
      expect(st.bookmarks['public-big']).toEqual({
        last_replication_method: 'FULL_TABLE',
        version,
        xmin: null,
      });
      expect(types[types.length - 1]).toBe('STATE');
    });

    it('emits ACTIVATE_VERSION only after the records on a later run, and none when disabled', async () => {
      const k = catalogFile('ft2.json', { 'public-nokey': { method: 'FULL_TABLE' } });
      const state = files.write('st.json', {
        bookmarks: {
          'public-nokey': { last_replication_method: 'FULL_TABLE', version: 1, xmin: null },
        },
      });
      const msgs = parseMessages(
        (await runTap(['--config', config, '--catalog', k, '--state', state])).stdout,
      );
      const types = msgs.map((m) => m.type);
      expect(types.filter((t) => t === 'ACTIVATE_VERSION')).toHaveLength(1);
      expect(types.indexOf('ACTIVATE_VERSION')).toBeGreaterThan(types.lastIndexOf('RECORD'));
      expect(records(msgs)).toHaveLength(30);
      const noAv = files.write('noav.json', { ...db.config, emit_activate_version: false });
      const msgs2 = parseMessages((await runTap(['--config', noAv, '--catalog', k])).stdout);
      expect(msgs2.some((m) => m.type === 'ACTIVATE_VERSION')).toBe(false);
      expect(msgs2.filter((m) => m.type === 'RECORD').every((m) => !('version' in m))).toBe(true);
    });

    it('syncs a view (no key) through a cursor', async () => {
      const k = catalogFile('view.json', { 'public-big_view': { method: 'FULL_TABLE' } });
      const r = await runTap(['--config', config, '--catalog', k]);
      expect(r.code).toBe(0);
      expect(records(parseMessages(r.stdout)).map((x) => x.id)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
      ]);
    });

    it('resumes after SIGKILL from its last STATE without re-reading what it covered', async () => {
      const k = catalogFile('kill.json', { 'public-big': { method: 'FULL_TABLE' } });
      // A STATE at every batch: the run is killed after the first.
      const smallBatches = files.write('small.json', {
        ...db.config,
        batch_fetch_limit: 100,
        state_interval_seconds: 0,
      });
      // Read until the first STATE, then stop reading: backpressure holds the tap where it is.
      const child = spawn(process.execPath, [BIN, '--config', smallBatches, '--catalog', k], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const first: Message[] = [];
      const rl = createInterface({ input: child.stdout });
      await new Promise<void>((resolve) => {
        rl.on('line', (l) => {
          const m = JSON.parse(l) as Message;
          first.push(m);
          if (m.type === 'STATE') {
            rl.close();
            child.stdout.pause();
            resolve();
          }
        });
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      const state = lastState(first)!;
      const marker = state.bookmarks['public-big']!.last_pk_fetched as Record<string, string>;
      expect(marker).toBeDefined();
      const firstIds = records(first).map((x) => x.id as number);
      expect(Math.max(...firstIds)).toBe(Number(marker.id));

      const r2 = await runTap([
        '--config',
        smallBatches,
        '--catalog',
        k,
        '--state',
        files.write('killed.json', state),
      ]);
      expect(r2.code).toBe(0);
      const second = parseMessages(r2.stdout);
      const secondIds = records(second).map((x) => x.id as number);
      expect(Math.min(...secondIds)).toBe(Number(marker.id) + 1); // nothing the STATE covered is re-read
      expect(new Set([...firstIds, ...secondIds]).size).toBe(5000);
      // the resumed run keeps the interrupted run's version, and activates it at the end
      const version = state.bookmarks['public-big']!.version;
      expect(second.filter((m) => m.type === 'RECORD').every((m) => m.version === version)).toBe(
        true,
      );
      expect(second.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => m.version)).toEqual([
        version,
      ]);
    });

    it('after SIGTERM writes a final STATE covering every record printed, whatever the interval', async () => {
      const k = catalogFile('term.json', { 'public-big': { method: 'FULL_TABLE' } });
      // Small batches and the default interval: the run's resumable points come far more often
      // than its STATEs.
      const smallBatches = files.write('term-config.json', {
        ...db.config,
        batch_fetch_limit: 100,
      });
      const child = spawn(process.execPath, [BIN, '--config', smallBatches, '--catalog', k], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const chunks: Buffer[] = [];
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      // The first chunk read, nothing more until the signal is in: backpressure holds the tap.
      await new Promise<void>((resolve) =>
        child.stdout.once('data', (c: Buffer) => {
          chunks.push(c);
          child.stdout.pause();
          resolve();
        }),
      );
      child.kill('SIGTERM');
      child.stdout.on('data', (c: Buffer) => chunks.push(c));
      child.stdout.resume();
      expect(await exited).toBe(0);
      const msgs = parseMessages(Buffer.concat(chunks).toString('utf8'));
      const ids = records(msgs).map((x) => x.id as number);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.length).toBeLessThan(5000);
      expect(msgs[msgs.length - 1]!.type).toBe('STATE');
      const state = lastState(msgs)!;
      expect(state.currently_syncing).toBe('public-big');
      const marker = state.bookmarks['public-big']!.last_pk_fetched as Record<string, string>;
      expect(Number(marker.id)).toBe(Math.max(...ids));
    });

    // A table without a key has no resume point: its STATE does not change until the end, and an
    // identical STATE is not repeated.
    it.each([['a keyed table', 'many', 'id int PRIMARY KEY']])(
      'emits STATE at least every 10,000 records from %s with state_interval_seconds 0',
      async (_n, table, cols) => {
        await db.query(
          `CREATE TABLE public.${table} (${cols}); INSERT INTO public.${table} SELECT generate_series(1, 25000)`,
        );
        discovered = JSON.parse((await runTap(['--config', config, '--discover'])).stdout);
        const big = files.write('bigbatch.json', {
          ...db.config,
          batch_fetch_limit: 50000,
          state_interval_seconds: 0,
        });
        const k = catalogFile(`${table}.json`, { [`public-${table}`]: { method: 'FULL_TABLE' } });
        const msgs = parseMessages((await runTap(['--config', big, '--catalog', k])).stdout);
        let since = 0;
        let maxGap = 0;
        for (const m of msgs) {
          if (m.type === 'RECORD') since += 1;
          if (m.type === 'STATE') {
            maxGap = Math.max(maxGap, since);
            since = 0;
          }
        }
        expect(records(msgs)).toHaveLength(25000);
        expect(maxGap).toBeLessThanOrEqual(10000);
      },
    );

    it('writes a STATE mid-stream once state_interval_seconds have passed', async () => {
      // public.many (25,000 rows) is the table of the test above. 10,000 records take far longer
      // than a millisecond, so each 10,000-record point is due.
      const k = catalogFile('many-interval.json', { 'public-many': { method: 'FULL_TABLE' } });
      const short = files.write('short-interval.json', {
        ...db.config,
        batch_fetch_limit: 50000,
        state_interval_seconds: 0.001,
      });
      const msgs = parseMessages((await runTap(['--config', short, '--catalog', k])).stdout);
      const types = msgs.map((m) => m.type);
      const midStream = msgs.filter(
        (m, i) => m.type === 'STATE' && i < types.lastIndexOf('RECORD'),
      );
      expect(
        midStream.map((m) => {
          const marker = m.value!.bookmarks['public-many']!.last_pk_fetched as { id: string };
          return Number(marker.id);
        }),
      ).toEqual([10000, 20000]);
      // With the default interval the same stream gives far fewer (here, on a second's budget).
      const byDefault = parseMessages((await runTap(['--config', config, '--catalog', k])).stdout);
      expect(byDefault.filter((m) => m.type === 'STATE').length).toBeLessThan(
        msgs.filter((m) => m.type === 'STATE').length,
      );
    });

    it('writes far fewer STATEs than tables by default, the last one with every bookmark', async () => {
      const n = 60;
      await db.query(`
        CREATE SCHEMA small_tables;
        DO $$ BEGIN FOR i IN 1..${n} LOOP
          EXECUTE format('CREATE TABLE small_tables.t%s (id int PRIMARY KEY)', i);
          EXECUTE format('INSERT INTO small_tables.t%s SELECT generate_series(1, 3)', i);
        END LOOP; END $$`);
      discovered = JSON.parse((await runTap(['--config', config, '--discover'])).stdout);
      const ids = Array.from({ length: n }, (_, i) => `small_tables-t${i + 1}`);
      const k = catalogFile(
        'small-tables.json',
        Object.fromEntries(ids.map((id) => [id, { method: 'FULL_TABLE' as const }])),
      );
      const msgs = parseMessages((await runTap(['--config', config, '--catalog', k])).stdout);
      expect(records(msgs)).toHaveLength(3 * n);
      const states = msgs.filter((m) => m.type === 'STATE');
      // One STATE per second of the run at most, and the final one.
      expect(states.length).toBeLessThanOrEqual(n / 6);
      expect(msgs[msgs.length - 1]!.type).toBe('STATE');
      const last = lastState(msgs)!;
      expect(Object.keys(last.bookmarks).sort()).toEqual([...ids].sort());
      expect(last.currently_syncing).toBeNull();
      for (const id of ids)
        expect(last.bookmarks[id]).toMatchObject({ last_replication_method: 'FULL_TABLE' });

      // state_interval_seconds 0: a STATE at each stream's end, as before the setting.
      const every = files.write('every.json', { ...db.config, state_interval_seconds: 0 });
      const all = parseMessages((await runTap(['--config', every, '--catalog', k])).stdout);
      expect(all.filter((m) => m.type === 'STATE').length).toBeGreaterThanOrEqual(n);

      // One statement per table, also when tables may be copied in ranges: their sizes are read
      // for all of them at once.
      const ranged = files.write('ranged.json', { ...db.config, snapshot_parallelism: 2 });
      const before = await settled();
      const r = await runTap(['--config', ranged, '--catalog', k]);
      expect(records(parseMessages(r.stdout))).toHaveLength(3 * n);
      // n COPY statements and a few for the set-up.
      expect((await settled()) - before).toBeLessThan(n * 1.5);
    });

    it("checks many streams' bookmarks in a few statements, and names the first bad one", async () => {
      // The tables of the test above.
      const n = 60;
      const ids = Array.from({ length: n }, (_, i) => `small_tables-t${i + 1}`);
      const k = catalogFile(
        'small-incremental.json',
        Object.fromEntries(
          ids.map((id) => [id, { method: 'INCREMENTAL' as const, replicationKey: 'id' }]),
        ),
      );
      const first = parseMessages((await runTap(['--config', config, '--catalog', k])).stdout);
      const state = lastState(first)!;
      expect(Object.keys(state.bookmarks)).toHaveLength(n);
      const before = await settled();
      const again = await runTap([
        '--config',
        config,
        '--catalog',
        k,
        '--state',
        files.write('inc-state.json', state),
      ]);
      expect(again.code).toBe(0);
      // Each stream reads again from its bookmark (its last row); the checks add a statement or two.
      expect(records(parseMessages(again.stdout))).toHaveLength(n);
      expect((await settled()) - before).toBeLessThan(n * 1.5);

      const bad = structuredClone(state);
      bad.bookmarks['small_tables-t30']!.replication_key_value = 'not a number';
      bad.bookmarks['small_tables-t31']!.replication_key_value = 'nor this';
      const r = await runTap([
        '--config',
        config,
        '--catalog',
        k,
        '--state',
        files.write('inc-bad.json', bad),
      ]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /bookmark of stream small_tables-t30: replication_key_value "not a number" is not a value of 'id'/,
      );
    });
  });

  describe('INCREMENTAL', () => {
    it('picks up inserted and updated rows on the next run and nothing older than the bookmark', async () => {
      const k = catalogFile('inc.json', {
        'public-events': { method: 'INCREMENTAL', replicationKey: 'updated_at' },
      });
      const m1 = parseMessages((await runTap(['--config', config, '--catalog', k])).stdout);
      expect(m1[0]).toMatchObject({
        type: 'SCHEMA',
        bookmark_properties: ['updated_at'],
        key_properties: ['id'],
      });
      expect(records(m1).map((x) => x.id)).toEqual([1, 2, 3]);
      const s1 = lastState(m1)!;
      expect(s1.bookmarks['public-events']).toMatchObject({
        last_replication_method: 'INCREMENTAL',
        replication_key: 'updated_at',
        replication_key_value: '2024-01-03T10:00:00+00:00',
      });
      await db.query(
        `INSERT INTO public.events VALUES (4, '2024-02-01 00:00:00+00', 4, '2024-02-01', 'd')`,
      );
      await db.query(
        `UPDATE public.events SET updated_at = '2024-02-02 00:00:00+00', label = 'a2' WHERE id = 1`,
      );
      const m2 = parseMessages(
        (await runTap(['--config', config, '--catalog', k, '--state', files.write('s1.json', s1)]))
          .stdout,
      );
      // >= bookmark: the boundary row (3) again, then the new and updated rows, in key order
      expect(records(m2).map((x) => [x.id, x.label])).toEqual([
        [3, 'c'],
        [4, 'd'],
        [1, 'a2'],
      ]);
      expect(lastState(m2)!.bookmarks['public-events']!.replication_key_value).toBe(
        '2024-02-02T00:00:00+00:00',
      );
    });

    it.each([
      ['an integer key', 'id', 2, [2, 3]],
      ['a numeric key', 'n', 2.25, [2, 3]],
      ['a date key', 'd', '2024-01-02', [2, 3]],
      ['a text key', 'label', 'b', [2, 3]],
    ])('works with %s', async (_n, key, value, ids) => {
      await db.query(`DELETE FROM public.events WHERE id > 3`);
      await db.query(
        `UPDATE public.events SET updated_at = '2024-01-01 10:00:00.000001+00', label = 'a' WHERE id = 1`,
      );
      const k = catalogFile(`inc-${key}.json`, {
        'public-events': { method: 'INCREMENTAL', replicationKey: key },
      });
      const st = files.write(`st-${key}.json`, {
        bookmarks: {
          'public-events': {
            last_replication_method: 'INCREMENTAL',
            replication_key: key,
            replication_key_value: value,
          },
        },
      });
      const msgs = parseMessages(
        (await runTap(['--config', config, '--catalog', k, '--state', st])).stdout,
      );
      expect(records(msgs).map((x) => x.id)).toEqual(ids);
      expect(lastState(msgs)!.bookmarks['public-events']!.replication_key_value).toEqual(
        records(msgs).at(-1)![key],
      );
    });

    it('reads rows with a NULL key on a first run only, and never bookmarks NULL', async () => {
      await db.query(`CREATE TABLE public.nullkey (id int PRIMARY KEY, k int)`);
      await db.query(`INSERT INTO public.nullkey VALUES (1, 5), (2, NULL), (3, 7)`);
      discovered = JSON.parse((await runTap(['--config', config, '--discover'])).stdout);
      const k = catalogFile('nullkey.json', {
        'public-nullkey': { method: 'INCREMENTAL', replicationKey: 'k' },
      });
      const m1 = parseMessages((await runTap(['--config', config, '--catalog', k])).stdout);
      expect(records(m1).map((x) => x.id)).toEqual([1, 3, 2]); // NULLs sort last
      const s1 = lastState(m1)!;
      expect(s1.bookmarks['public-nullkey']!.replication_key_value).toBe(7);
      await db.query(`INSERT INTO public.nullkey VALUES (4, NULL), (5, 8)`);
      const m2 = parseMessages(
        (await runTap(['--config', config, '--catalog', k, '--state', files.write('nk.json', s1)]))
          .stdout,
      );
      expect(records(m2).map((x) => x.id)).toEqual([3, 5]);
    });

    it('accepts a pipelinewise state and starts over when the replication key changed', async () => {
      const pipelinewise = {
        currently_syncing: null,
        bookmarks: {
          'public-events': {
            last_replication_method: 'INCREMENTAL',
            version: 1700000000000,
            replication_key: 'updated_at',
            replication_key_value: '2024-01-02T10:00:00+00:00',
          },
          'public-nokey': {
            last_replication_method: 'FULL_TABLE',
            version: 1700000000000,
            xmin: null,
          },
        },
      };
      const st = files.write('pw.json', pipelinewise);
      const k = catalogFile('pw-cat.json', {
        'public-events': { method: 'INCREMENTAL', replicationKey: 'updated_at' },
        'public-nokey': { method: 'FULL_TABLE' },
      });
      const msgs = parseMessages(
        (await runTap(['--config', config, '--catalog', k, '--state', st])).stdout,
      );
      expect(records(msgs, 'public-events').map((x) => x.id)).toEqual([2, 3]);
      expect(msgs.find((m) => m.type === 'RECORD' && m.stream === 'public-events')!.version).toBe(
        1700000000000,
      );
      // FULL_TABLE with a finished pipelinewise bookmark: no ACTIVATE_VERSION before the records
      const nokeyTypes = msgs.filter((m) => m.stream === 'public-nokey').map((m) => m.type);
      expect(nokeyTypes.indexOf('ACTIVATE_VERSION')).toBeGreaterThan(
        nokeyTypes.lastIndexOf('RECORD'),
      );

      const byId = catalogFile('pw-cat2.json', {
        'public-events': { method: 'INCREMENTAL', replicationKey: 'id' },
      });
      const msgs2 = parseMessages(
        (await runTap(['--config', config, '--catalog', byId, '--state', st])).stdout,
      );
      expect(records(msgs2).map((x) => x.id)).toEqual([1, 2, 3]);
    });

    it('resumes the stream it was syncing first', async () => {
      const k = catalogFile('order.json', {
        'public-events': { method: 'INCREMENTAL', replicationKey: 'id' },
        'public-nokey': { method: 'FULL_TABLE' },
      });
      const st = files.write('cs.json', { currently_syncing: 'public-nokey', bookmarks: {} });
      const msgs = parseMessages(
        (await runTap(['--config', config, '--catalog', k, '--state', st])).stdout,
      );
      expect(msgs.filter((m) => m.type === 'SCHEMA').map((m) => m.stream)).toEqual([
        'public-nokey',
        'public-events',
      ]);
    });
  });

  describe('hostile identifiers', () => {
    it.each([
      ['FULL_TABLE', undefined],
      ['INCREMENTAL', 'select'],
    ] as const)('%s quotes every identifier', async (method, replicationKey) => {
      // The '-'s in the table name are escaped in the id (src/catalog/stream-id.ts).
      const id = 'Mixed Schema-Weird "Name"; DROP TABLE public.big; %2D%2D';
      const k = catalogFile(`hostile-${method}.json`, {
        [id]: { method, ...(replicationKey ? { replicationKey } : {}) },
      });
      const r = await runTap(['--config', config, '--catalog', k]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(`INFO ${id}: 3 records (${method})`);
      expect(records(parseMessages(r.stdout))).toEqual([
        { Id: 1, 'Col "Quote"': 'q1', select: 10 },
        { Id: 2, 'Col "Quote"': 'q2', select: 20 },
        { Id: 3, 'Col "Quote"': 'q3', select: 30 },
      ]);
      const [row] = await db.query<{ n: string }>('SELECT count(*) AS n FROM public.big');
      expect(row?.n).toBe('5000');
    });
  });

  describe('--test', () => {
    it('--test syncs at most one record per stream and no STATE', async () => {
      const k = catalogFile('t.json', {
        'public-big': { method: 'FULL_TABLE' },
        'public-events': { method: 'INCREMENTAL', replicationKey: 'id' },
      });
      const msgs = parseMessages(
        (await runTap(['--config', config, '--catalog', k, '--test'])).stdout,
      );
      expect(records(msgs, 'public-big')).toHaveLength(1);
      expect(records(msgs, 'public-events')).toHaveLength(1);
      expect(msgs.some((m) => m.type === 'STATE')).toBe(false);
    });

    it('--test=schema emits only SCHEMA messages', async () => {
      const k = catalogFile('ts.json', {
        'public-big': { method: 'FULL_TABLE' },
        'public-events': { method: 'INCREMENTAL', replicationKey: 'id' },
      });
      const msgs = parseMessages(
        (await runTap(['--config', config, '--catalog', k, '--test=schema'])).stdout,
      );
      expect(msgs.map((m) => m.type)).toEqual(['SCHEMA', 'SCHEMA']);
    });
  });

  describe('bad catalog and state', () => {
    it.each([
      [
        'a catalog that is not a catalog',
        { streams: 'nope' },
        /catalog file .*: 'streams' must be array/,
      ],
      [
        'a table that no longer exists',
        {
          streams: [
            {
              tap_stream_id: 'public-gone',
              table_name: 'gone',
              schema: { properties: { id: { type: 'integer' } } },
              metadata: [
                {
                  breadcrumb: [],
                  metadata: {
                    selected: true,
                    'replication-method': 'FULL_TABLE',
                    'schema-name': 'public',
                  },
                },
              ],
            },
          ],
        },
        /public.gone does not exist.*--discover/,
      ],
    ])('%s exits 2 with nothing on stdout', async (_n, catalog, msg) => {
      const r = await runTap([
        '--config',
        config,
        '--catalog',
        files.write('badcat.json', catalog),
      ]);
      expect(r.stdout).toBe('');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
    });

    it('a state of the wrong shape exits 2 with nothing on stdout', async () => {
      const k = catalogFile('okcat.json', { 'public-nokey': { method: 'FULL_TABLE' } });
      const r = await runTap([
        '--config',
        config,
        '--catalog',
        k,
        '--state',
        files.write('badstate.json', { bookmarks: { x: { lsn: 'abc' } } }),
      ]);
      expect(r.stdout).toBe('');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/state file .*'bookmarks.x.lsn' must be integer/);
    });
  });
});
