import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { lastState, parseMessages, type Message } from './support/catalog-helpers';
import { BIN } from './support/run-tap';
import { logBasedFixture, type LogBasedFixture } from './support/log-based-fixture';
import { contractViolations, describeRun } from './support/output-contract';
import { recordSchemaErrors } from './support/record-schemas';

/**
 * Copies hand their records to the map worker (src/maps/worker/) in jobs: whether a record is
 * mapped there or on the main thread, the output is the same line for line, STATE and every other
 * message in the same place, and a failure there fails the run as one on the main thread would.
 * TAP_POSTGRES_MAP_WORKER: `off` maps on the main thread, `always` sends every copied record to
 * the worker, `after:4096` the records after a stream's first 4,096 (those on the main thread),
 * unset lets the tap choose
 * (src/maps/worker/map-worker-choice.ts).
 */
describe('stream maps on the map worker', () => {
  let f: LogBasedFixture;
  const ROWS = 20_000;
  const MODES = ['off', 'always', 'after:4096', 'auto'] as const;
  const envOf = (mode: (typeof MODES)[number]) =>
    mode === 'auto' ? {} : { TAP_POSTGRES_MAP_WORKER: mode };

  /** The run's lines with what differs from run to run (version, time_extracted) made equal. */
  const stable = (stdout: string) =>
    stdout
      .replace(/"time_extracted":"[^"]*"/g, '"time_extracted":"T"')
      .replace(/"version":\d+/g, '"version":1')
      .replace(/"(lsn|_sdc_lsn|_sdc_extracted_at|_sdc_batched_at)":("[^"]*"|\d+)/g, '"$1":0');

  const runIn = async (
    mode: (typeof MODES)[number],
    config: Record<string, unknown>,
    state?: unknown,
  ) => {
    return f.run(state, { state_interval_seconds: 0, ...config }, [], envOf(mode));
  };

  const sameInEveryMode = async (config: Record<string, unknown>) => {
    const outs: string[] = [];
    let msgs: Message[] = [];
    for (const mode of MODES) {
      const r = await runIn(mode, config);
      if (contractViolations(r, { allowed: [0] }).length > 0) throw new Error(describeRun(r));
      msgs = parseMessages(r.stdout);
      // Where the records were mapped: `always` sends every copied one to the worker.
      const offloaded = /(\d+) records mapped on the map worker thread/.exec(r.stderr);
      if (mode === 'off') expect(offloaded).toBeNull();
      if (mode === 'always') expect(Number(offloaded?.[1])).toBe(ROWS);
      if (mode === 'after:4096') expect(Number(offloaded?.[1])).toBe(ROWS - 4096);
      expect(recordSchemaErrors(msgs)).toEqual([]);
      outs.push(stable(r.stdout));
    }
    for (const out of outs) expect(out).toBe(outs[0]);
    return msgs;
  };

  beforeAll(async () => {
    f = await logBasedFixture(
      'mapworker',
      `CREATE TABLE events (id int PRIMARY KEY, name text, amount numeric(12,2), doc jsonb,
                            at timestamptz, tags text[]);
       INSERT INTO events SELECT i,
              CASE WHEN i % 7 = 0 THEN NULL ELSE 'name ' || i || CASE WHEN i % 3 = 0 THEN ' ü "q"' ELSE '' END END,
              CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 5000 - 2500) / 100.0 END,
              jsonb_build_object('k', i, 'inner', jsonb_build_object('s', 'v' || (i % 10))),
              TIMESTAMPTZ '2024-01-01Z' + i * interval '1 minute',
              ARRAY['t' || (i % 3), 't' || (i % 5)]
         FROM generate_series(1, ${ROWS}) i;
       CREATE PUBLICATION tap_postgres FOR TABLE events;`,
    );
  });
  afterAll(async () => {
    await f.db.drop();
  });

  const MAP = {
    'public-events': {
      name_hash: 'md5(name) if name else None',
      name: 'name.upper() if name else name',
      cents: 'int(amount * 100) if amount is not None else None',
      created_at: 'at',
      at: null,
      __filter__: 'id % 10 != 3',
    },
  };

  it('FULL_TABLE: the same lines, STATE included, wherever the records were mapped', async () => {
    await f.select({ 'public-events': { method: 'FULL_TABLE' } });
    const msgs = await sameInEveryMode({ stream_maps: MAP });
    const recs = msgs.filter((m) => m.type === 'RECORD');
    expect(recs).toHaveLength(ROWS - ROWS / 10);
    expect(msgs.filter((m) => m.type === 'STATE').length).toBeGreaterThan(1);
  });

  it('INCREMENTAL: the same lines, STATE with the bookmark included, in every mode', async () => {
    await f.select({ 'public-events': { method: 'INCREMENTAL', replicationKey: 'id' } });
    const msgs = await sameInEveryMode({ stream_maps: MAP });
    expect(msgs.filter((m) => m.type === 'RECORD')).toHaveLength(ROWS - ROWS / 10);
    expect(lastState(msgs)?.bookmarks['public-events']?.replication_key_value).toBe(ROWS);
  });

  it("FULL_TABLE with a map applied while encoding: md5s made several at a time are PostgreSQL's", async () => {
    // Values every expression takes (no NULL), so the main thread maps while encoding; the md5s
    // of names of up to 55 bytes with no quote are made several at a time into holes in the lines.
    await f.db.query(`
      CREATE TABLE plain (id int PRIMARY KEY, name text NOT NULL, amount numeric(12,2) NOT NULL,
                          at timestamptz NOT NULL);
      INSERT INTO plain SELECT i,
             'name ' || i || CASE WHEN i % 3 = 0 THEN ' ü "q"' WHEN i % 5 = 0 THEN ' ü'
                                  WHEN i % 7 = 0 THEN repeat('x', i % 80) ELSE '' END,
             (i % 5000 - 2500) / 100.0, TIMESTAMPTZ '2024-01-01Z' + i * interval '1 minute'
        FROM generate_series(1, ${ROWS}) i;`);
    await f.select({ 'public-plain': { method: 'FULL_TABLE' } });
    const direct = {
      'public-plain': {
        name_hash: 'md5(name)',
        cents: 'int(amount * 100)',
        created_at: 'at',
        at: null,
        __filter__: 'amount >= 0',
      },
    };
    const config = { state_interval_seconds: 0, stream_maps: direct };
    // As a process writing into a pipe: stdout copies each chunk as it is written, so a hole
    // filled after its line was written would show (a PassThrough keeps the very buffers, and
    // would see what was filled later). On the map worker every md5 is made one at a time.
    const onMain = await f.spawn(undefined, config, { TAP_POSTGRES_MAP_WORKER: 'off' });
    const onWorker = await f.spawn(undefined, config, { TAP_POSTGRES_MAP_WORKER: 'always' });
    for (const r of [onMain, onWorker]) {
      if (contractViolations(r, { allowed: [0] }).length > 0) throw new Error(describeRun(r));
    }
    expect(stable(onMain.stdout)).toBe(stable(onWorker.stdout));
    const msgs = parseMessages(onMain.stdout);
    expect(recordSchemaErrors(msgs)).toEqual([]);
    const rows = await f.db.query<{ id: number; h: string }>(
      `SELECT id, md5(name) AS h FROM plain WHERE amount >= 0`,
    );
    const want = new Map(rows.map((r) => [r.id, r.h]));
    const recs = msgs.filter((m) => m.type === 'RECORD');
    expect(recs).toHaveLength(want.size);
    for (const m of recs) {
      const rec = m.record as { id: number; name_hash: string };
      expect([rec.id, rec.name_hash]).toEqual([rec.id, want.get(rec.id)]);
    }
    await f.db.query(`DROP TABLE plain`);
  });

  it('FULL_TABLE: two outputs of one stream (__source__) and flattening', async () => {
    await f.select({ 'public-events': { method: 'FULL_TABLE' } });
    const msgs = await sameInEveryMode({
      stream_maps: {
        ...MAP,
        copy: { __source__: 'public-events', id: 'id', __else__: null, double: 'id * 2' },
      },
      flattening_enabled: true,
      flattening_max_depth: 2,
    });
    // jsonb without declared properties becomes its JSON text, arrays too (the SDK's rule).
    const first = msgs.find((m) => m.type === 'RECORD' && m.stream === 'public-events');
    expect(first?.record).toMatchObject({ doc: '{"k":1,"inner":{"s":"v1"}}', tags: '["t1","t1"]' });
    expect(msgs.filter((m) => m.type === 'RECORD' && m.stream === 'copy')).toHaveLength(ROWS);
  });

  it('LOG_BASED first copy: the records with their _sdc columns, which the worker scans', async () => {
    await f.select({ 'public-events': {} });
    const outs: string[] = [];
    for (const mode of MODES) {
      await f.db.query(
        `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()`,
      );
      const r = await runIn(mode, { stream_maps: MAP });
      if (contractViolations(r, { allowed: [0] }).length > 0) throw new Error(describeRun(r));
      const msgs = parseMessages(r.stdout);
      expect(recordSchemaErrors(msgs)).toEqual([]);
      expect(msgs.filter((m) => m.type === 'RECORD')).toHaveLength(ROWS - ROWS / 10);
      outs.push(
        stable(r.stdout)
          .split('\n')
          .filter((l) => !l.includes('"type":"STATE"'))
          .join('\n'),
      );
    }
    for (const out of outs) expect(out).toBe(outs[0]);
  });

  it('FULL_TABLE in CTID ranges: each range-copy worker applies the maps to its own lines', async () => {
    await f.db.query(`
      CREATE TABLE big (id int PRIMARY KEY, name text, amount numeric(12,2), at timestamptz,
                        pad text) WITH (fillfactor = 10);
      INSERT INTO big SELECT i, 'name ' || i, (i % 5000 - 2500) / 100.0,
             TIMESTAMPTZ '2024-01-01Z' + i * interval '1 minute', repeat(md5(i::text), 3)
        FROM generate_series(1, 14000) i;`);
    await f.select({ 'public-big': { method: 'FULL_TABLE' } });
    const map = { 'public-big': { ...MAP['public-events'], pad: null } };
    const sorted = (stdout: string) =>
      stable(stdout)
        .split('\n')
        .filter((l) => l.includes('"type":"RECORD"'))
        .sort();
    const config = { stream_maps: map, snapshot_parallelism: 2 };
    const onMain = await runIn('off', config);
    const onThreads = await runIn('auto', config);
    for (const r of [onMain, onThreads]) {
      if (contractViolations(r, { allowed: [0] }).length > 0) throw new Error(describeRun(r));
      expect(r.stderr).toMatch(/copying in 2 CTID ranges/);
    }
    expect(onMain.stderr).not.toMatch(/each applying the stream maps/);
    expect(onThreads.stderr).toMatch(/each applying the stream maps/);
    const lines = sorted(onThreads.stdout);
    expect(lines).toHaveLength(14000 - 1400);
    expect(lines).toEqual(sorted(onMain.stdout));
    expect(recordSchemaErrors(parseMessages(onThreads.stdout))).toEqual([]);

    // A failure there fails the run with the same one-line error.
    const failing = { 'public-big': { ratio: '1 // (id - 9000)' } };
    const failed = await runIn('auto', { stream_maps: failing, snapshot_parallelism: 2 });
    expect(failed.code).toBe(1);
    expect(failed.stderrLines.find((l) => l.includes('ZeroDivisionError'))).toContain(
      `stream map of stream 'public-big'`,
    );
    await f.db.query(`DROP TABLE big`);
  });

  it('SIGKILL after the first STATE: every record it covers was already on stdout', async () => {
    await f.select({ 'public-events': { method: 'FULL_TABLE' } });
    const child = spawn(
      process.execPath,
      [BIN, ...f.args(undefined, { stream_maps: MAP, state_interval_seconds: 0 })],
      { stdio: ['ignore', 'pipe', 'ignore'], env: { PATH: process.env.PATH, ...envOf('always') } },
    );
    const seen: Message[] = [];
    const rl = createInterface({ input: child.stdout });
    let killed = false;
    await new Promise<void>((resolve) => {
      rl.on('line', (l) => {
        if (killed) return; // lines of the same chunk, after the STATE
        const m = JSON.parse(l) as Message;
        seen.push(m);
        if (m.type === 'STATE' && lastState(seen)?.bookmarks['public-events']?.last_pk_fetched) {
          killed = true;
          child.kill('SIGKILL');
          rl.close();
          resolve();
        }
      });
    });
    await new Promise((r) => child.on('close', r));
    const marker = Number(
      (lastState(seen)!.bookmarks['public-events']!.last_pk_fetched as { id: string }).id,
    );
    const ids = seen.filter((m) => m.type === 'RECORD').map((m) => m.record!.id as number);
    const expected = [];
    for (let i = 1; i <= marker; i++) if (i % 10 !== 3) expected.push(i);
    expect(ids).toEqual(expected);
  });

  it('an expression failing in the worker fails the run with the same one-line error', async () => {
    await f.select({ 'public-events': { method: 'FULL_TABLE' } });
    const failing = { 'public-events': { ratio: '1 // (id - 15000)' } };
    const errors: string[] = [];
    for (const mode of ['off', 'always'] as const) {
      const r = await runIn(mode, { stream_maps: failing });
      expect(r.code).toBe(1);
      const line = r.stderrLines.find((l) => l.includes('ZeroDivisionError'));
      expect(line).toContain(`stream map of stream 'public-events'`);
      expect(line).toContain(`property 'ratio'`);
      errors.push(line!.replace(/^\S+ /, ''));
      // Nothing after the failing record is acknowledged: no STATE covers record 15000.
      const states = parseMessages(r.stdout).filter((m) => m.type === 'STATE');
      for (const s of states) {
        const pk = (s.value as { bookmarks: Record<string, { last_pk_fetched?: { id: string } }> })
          .bookmarks['public-events']?.last_pk_fetched;
        if (pk) expect(Number(pk.id)).toBeLessThan(15000);
      }
    }
    expect(errors[1]).toBe(errors[0]);
  });
});
