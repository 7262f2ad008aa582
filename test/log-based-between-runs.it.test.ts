import { lastState, replay, type Message } from './support/catalog-helpers';
import { wal2jsonSkipped } from './support/debian-server';
import {
  logBasedFixture,
  resumingRuns,
  type LogBasedFixture,
  type Run,
} from './support/log-based-fixture';
import { recordSchemaErrors } from './support/record-schemas';

/**
 * What can happen to a table between two LOG_BASED runs, and to the state handed from one run to
 * the next, that PostgreSQL's change stream does not tell: each case ends with a target (the
 * replay of every run's output) that holds the source table, and records valid under their SCHEMA.
 */
type Plugin = 'pgoutput' | 'wal2json';
const plugins: Plugin[] = wal2jsonSkipped() ? ['pgoutput'] : ['pgoutput', 'wal2json'];

const ofStream = (msgs: Message[], stream: string) => msgs.filter((m) => m.stream === stream);

/** The target's rows of `stream` as `id:v` strings, after every run's output in order. */
function held(runs: Message[][], stream: string, key = 'id'): string[] {
  const rows = replay(ofStream(runs.flat(), stream), key);
  return [...rows.values()].map((r) => `${String(r[key])}:${String(r.v)}`).sort();
}

async function source(f: LogBasedFixture, table: string): Promise<string[]> {
  const r = await f.db.query<{ row: string }>(
    `SELECT id::text || ':' || v::text AS row FROM ${table}`,
  );
  return r.map((x) => x.row).sort();
}

async function slotConfirmed(f: LogBasedFixture): Promise<string | null> {
  const r = await f.db.query<{ lsn: string | null }>(
    `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE database = current_database()`,
  );
  return r[0]?.lsn ?? null;
}

describe.each(plugins)('LOG_BASED between runs (%s)', (plugin) => {
  let f: LogBasedFixture;
  const runs: Message[][] = [];
  const run = async (state: unknown, config: Record<string, unknown> = {}) => {
    const r = await f.run(state, config);
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    expect(recordSchemaErrors(r.msgs)).toEqual([]);
    runs.push(r.msgs);
    return r;
  };
  const state = () => lastState(runs.flat());

  beforeAll(async () => {
    f = await logBasedFixture(
      `between_${plugin}`,
      `CREATE TABLE t (id int PRIMARY KEY, v text);
       INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 20) i;
       CREATE TABLE n (id int PRIMARY KEY, v int4);
       INSERT INTO n VALUES (1, 1), (2, 2);
       CREATE PUBLICATION tap_postgres FOR ALL TABLES;`,
      { plugin },
    );
    await f.select({ 'public-t': {}, 'public-n': {} });
    await run(undefined);
  });
  afterAll(async () => {
    await f.db.drop();
  });

  it('a state whose LSN is ahead of the server is refused before the slot is touched (exit 2), and --check says so', async () => {
    await f.db.query(`INSERT INTO t VALUES (21, 'v21')`);
    const good = state()!;
    const foreign = JSON.parse(JSON.stringify(good)) as typeof good;
    const b = foreign.bookmarks['public-t']!;
    b.lsn = (b.lsn as number) + 1e11;
    const before = await slotConfirmed(f);
    const r = await f.run(foreign);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^CRITICAL .*the state's LSN for public-t \([0-9A-F]+\/[0-9A-F]+\) is ahead of this server's WAL \([0-9A-F]+\/[0-9A-F]+\): the state belongs to another server or database/m,
    );
    expect(await slotConfirmed(f)).toBe(before);
    const check = await f.run(foreign, {}, ['--check']);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/✗ the state's LSN for public-t .* is ahead of this server's WAL/);
    // The right state still works, and nothing was lost.
    await run(good);
    expect(held(runs, 'public-t')).toEqual(await source(f, 't'));
  });

  it('a run with nothing new decodes nothing old: streaming starts at the state, not the slot', async () => {
    // next_run acknowledgement leaves the slot at the previous run's incoming state, so without
    // starting at the state's own position the server sends the previous run's changes again.
    for (let i = 0; i < 30; i += 1)
      await f.db.query(`UPDATE t SET v = v || '+' WHERE id = ${(i % 20) + 1}`);
    await run(state());
    const decoded = async () =>
      Number(
        (
          await f.db.query<{ n: string }>(
            `SELECT coalesce(sum(total_txns), 0)::text AS n FROM pg_stat_replication_slots
              WHERE slot_name IN (SELECT slot_name FROM pg_replication_slots
                                   WHERE database = current_database())`,
          )
        )[0]!.n,
      );
    const before = await decoded();
    const quiet = await run(state());
    expect(quiet.msgs.filter((m) => m.type === 'RECORD')).toEqual([]);
    // Statistics reach the view when the walsender ends: wait for it.
    let after = await decoded();
    for (let i = 0; i < 50 && after === before; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await decoded();
    }
    // The heartbeat transaction(s) of the run itself, not the 30 updates again.
    expect(after - before).toBeLessThan(10);
    expect(held(runs, 'public-t')).toEqual(await source(f, 't'));
  });

  it('an interrupted first copy by pipelinewise / singer-io (lsn with xmin) is copied again, then streamed', async () => {
    const s = JSON.parse(JSON.stringify(state())) as ReturnType<typeof state> & object;
    const b = s.bookmarks['public-t']!;
    s.bookmarks['public-t'] = { ...b, xmin: 4242, version: 1 };
    await f.db.query(`UPDATE t SET v = 'after' WHERE id = 2`);
    const r = await run(s);
    expect(r.stderr).toMatch(/public-t: the state says the first copy of the table did not finish/);
    const t = ofStream(r.msgs, 'public-t');
    expect(t.filter((m) => m.type === 'ACTIVATE_VERSION')).toHaveLength(1);
    expect(t.filter((m) => m.type === 'RECORD').length).toBeGreaterThanOrEqual(20);
    expect(lastState(r.msgs)!.bookmarks['public-t']!.xmin).toBeNull();
    // A target that had a partial copy under version 1 drops it on ACTIVATE_VERSION.
    const partial: Message[] = [
      { type: 'RECORD', stream: 'public-t', version: 1, record: { id: 999, v: 'partial' } },
    ];
    expect(held([partial, r.msgs], 'public-t')).toEqual(await source(f, 't'));
    await f.db.query(`INSERT INTO t VALUES (22, 'v22')`);
    const next = await run(lastState(r.msgs));
    expect(ofStream(next.msgs, 'public-t').filter((m) => m.type === 'RECORD')).toHaveLength(1);
  });

  it('a type changed since discovery: the SCHEMA has the live type, every record validates', async () => {
    await f.db.query(`ALTER TABLE n ALTER COLUMN v TYPE int8`);
    await f.db.query(`INSERT INTO n VALUES (3, 3000000000)`);
    const r = await run(state());
    const schema = ofStream(r.msgs, 'public-n').find((m) => m.type === 'SCHEMA')!;
    expect((schema.schema as { properties: Record<string, unknown> }).properties.v).toEqual({
      type: ['null', 'integer'],
    });
    expect(held(runs, 'public-n')).toEqual(await source(f, 'n'));
  });

  it('a type change its schema cannot carry (int → text) between runs: copied again, records valid', async () => {
    await f.db.query(`INSERT INTO n VALUES (4, 4)`);
    await f.db.query(`ALTER TABLE n ALTER COLUMN v TYPE text`);
    await f.db.query(`INSERT INTO n VALUES (5, 'five')`);
    await run(state());
    expect(held(runs, 'public-n')).toEqual(await source(f, 'n'));
    await f.db.query(`INSERT INTO n VALUES (6, 'six')`);
    const next = await run(state());
    expect(ofStream(next.msgs, 'public-n').filter((m) => m.type === 'RECORD')).toHaveLength(1);
  });

  it('DROP + CREATE of the table between runs: copied again under a new version, no old row left', async () => {
    await f.db.query(`INSERT INTO t VALUES (30, 'old table')`);
    await f.db.query(`DROP TABLE t`);
    await f.db.query(`CREATE TABLE t (id int PRIMARY KEY, v text)`);
    await f.db.query(`INSERT INTO t VALUES (1, 'new'), (100, 'new 100')`);
    const r = await run(state());
    expect(r.stderr).toMatch(
      /public-t: the table was dropped and created again since the last run/,
    );
    expect(held(runs, 'public-t')).toEqual(await source(f, 't'));
    const b = lastState(r.msgs)!.bookmarks['public-t']!;
    expect(b.table_oid).toBe(
      Number(
        (await f.db.query<{ oid: string }>(`SELECT 'public.t'::regclass::oid::text AS oid`))[0]!
          .oid,
      ),
    );
    await f.db.query(`UPDATE t SET v = 'changed' WHERE id = 100`);
    const next = await run(state());
    expect(ofStream(next.msgs, 'public-t').filter((m) => m.type === 'RECORD')).toHaveLength(1);
    expect(held(runs, 'public-t')).toEqual(await source(f, 't'));
  });
});

describe('LOG_BASED: a table created again, met in the WAL (pgoutput)', () => {
  it("a state without table_oid (an older tap's): the new table's OID in the stream stops it, and it is copied again", async () => {
    const f = await logBasedFixture(
      'recreated',
      `CREATE TABLE t (id int PRIMARY KEY, v text);
       INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 5) i;
       CREATE PUBLICATION tap_postgres FOR ALL TABLES;`,
    );
    try {
      await f.select({ 'public-t': {} });
      const first = await f.run();
      expect(first.code).toBe(0);
      const s = lastState(first.msgs)!;
      const { table_oid: _oid, ...older } = s.bookmarks['public-t']!;
      await f.db.query(`INSERT INTO t VALUES (6, 'old table')`);
      await f.db.query(`DROP TABLE t`);
      await f.db.query(`CREATE TABLE t (id int PRIMARY KEY, v text)`);
      await f.db.query(`INSERT INTO t VALUES (1, 'new')`);
      const r = await f.run({ ...s, bookmarks: { 'public-t': older } });
      expect(r.stderr).not.toMatch(/CRITICAL/);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(
        /public-t: public\.t was dropped and created again \(OID \d+, now \d+\)/,
      );
      expect(recordSchemaErrors(r.msgs)).toEqual([]);
      expect(held([first.msgs, r.msgs], 'public-t')).toEqual(await source(f, 't'));
    } finally {
      await f.db.drop();
    }
  });
});

describe('LOG_BASED: columns renamed or added with values', () => {
  let f: LogBasedFixture;
  let runs: Message[][] = [];
  let run: () => Promise<Run>;
  /** The target's rows as JSON of the source's current columns (the target may keep old ones). */
  const target = async () => {
    const cols = (
      await f.db.query<{ c: string }>(
        `SELECT attname AS c FROM pg_attribute WHERE attrelid = 'public.t'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      )
    ).map((x) => x.c);
    const rows = [
      ...replay(
        runs.flat().filter((m) => m.stream === 'public-t'),
        'id',
      ).values(),
    ];
    return rows
      .map((r) => JSON.stringify(cols.map((c) => (r[c] === undefined ? null : r[c]))))
      .sort();
  };
  const source = async () =>
    (await f.db.query<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM t`))
      .map((x) => JSON.stringify(Object.values(JSON.parse(x.j) as Record<string, unknown>)))
      .sort();

  beforeAll(async () => {
    f = await logBasedFixture(
      'columns',
      `CREATE TABLE t (id int PRIMARY KEY, v text);
       INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 10) i;
       CREATE PUBLICATION tap_postgres FOR ALL TABLES;`,
    );
    await f.select({ 'public-t': {} });
    ({ runs, run } = resumingRuns(f));
    await run();
  });
  afterAll(async () => {
    await f.db.drop();
  });

  it('ADD COLUMN without a default: a new SCHEMA, no copy (every existing row holds null)', async () => {
    await f.db.query(`ALTER TABLE t ADD COLUMN e text`);
    await f.db.query(`UPDATE t SET e = 'set' WHERE id = 1`);
    const r = await run();
    expect(r.msgs.filter((m) => m.type === 'ACTIVATE_VERSION')).toEqual([]);
    expect(await target()).toEqual(await source());
  });

  it('ADD COLUMN with a default between runs: copied again, every row has it', async () => {
    await f.db.query(`ALTER TABLE t ADD COLUMN d int DEFAULT 7`);
    await f.db.query(`UPDATE t SET v = 'changed' WHERE id = 2`);
    const r = await run();
    expect(r.stderr).toMatch(
      /column 'd' was added with a default \(or generated\) since the last run/,
    );
    expect(r.msgs.filter((m) => m.type === 'ACTIVATE_VERSION')).toHaveLength(1);
    expect(await target()).toEqual(await source());
  });

  it('RENAME COLUMN between runs: copied again under the new name', async () => {
    await f.db.query(`ALTER TABLE t RENAME COLUMN v TO w`);
    await f.db.query(`UPDATE t SET w = 'renamed' WHERE id = 3`);
    const r = await run();
    expect(r.stderr).toMatch(/column 'v' was renamed to 'w' since the last run/);
    expect(await target()).toEqual(await source());
    const next = await run();
    expect(next.msgs.filter((m) => m.type === 'RECORD')).toEqual([]);
  });

  it('ADD COLUMN with a default while a run streams: copied again at its end', async () => {
    const pending = f.spawn(lastState(runs.flat()), {
      break_at_end_lsn: false,
      logical_poll_total_seconds: 3,
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await f.db.query(`ALTER TABLE t ADD COLUMN g int DEFAULT 5`);
    await f.db.query(`UPDATE t SET w = 'during' WHERE id = 4`);
    const r = await pending;
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    expect(recordSchemaErrors(r.msgs)).toEqual([]);
    runs.push(r.msgs);
    expect(r.stderr).toMatch(/column 'g' was added with a default \(or generated\)/);
    expect(await target()).toEqual(await source());
  });

  it('a generated column added between runs (pgoutput before 18 does not even name it): copied again', async () => {
    await f.db.query(`ALTER TABLE t ADD COLUMN h int GENERATED ALWAYS AS (id * 2) STORED`);
    const r = await run();
    expect(r.stderr).toMatch(
      /column 'h' was added with a default \(or generated\) since the last run/,
    );
    expect(await target()).toEqual(await source());
  });
});

describe('LOG_BASED: a type change met in the WAL', () => {
  it("a state without column_kinds (an older tap's): the change in the old type stops the stream, and it is copied again", async () => {
    const f = await logBasedFixture(
      'retyped',
      `CREATE TABLE t (id int PRIMARY KEY, v int);
       INSERT INTO t SELECT i, i FROM generate_series(1, 5) i;
       CREATE PUBLICATION tap_postgres FOR ALL TABLES;`,
    );
    try {
      await f.select({ 'public-t': {} });
      const first = await f.run();
      expect(first.code).toBe(0);
      const s = lastState(first.msgs)!;
      // An older tap's state has neither: with column_types the run would copy the table again
      // before streaming, and the change in the old type would never be met.
      const { column_kinds: _k, column_types: _t, ...older } = s.bookmarks['public-t']!;
      await f.db.query(`INSERT INTO t VALUES (6, 6)`);
      await f.db.query(`ALTER TABLE t ALTER COLUMN v TYPE text`);
      await f.db.query(`INSERT INTO t VALUES (7, 'seven')`);
      const r = await f.run({ ...s, bookmarks: { 'public-t': older } });
      expect(r.stderr).not.toMatch(/CRITICAL/);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(
        /public-t: column 'v' is integer in a change and text in the stream's schema \(null, string\), which cannot carry it: the table is copied again/,
      );
      expect(recordSchemaErrors(r.msgs)).toEqual([]);
      expect(held([first.msgs, r.msgs], 'public-t')).toEqual(await source(f, 't'));
    } finally {
      await f.db.drop();
    }
  });
});

describe('LOG_BASED: ALTER COLUMN … TYPE between runs, to a type of the same JSON type', () => {
  let f: LogBasedFixture;
  beforeAll(async () => {
    f = await logBasedFixture(
      'retyped_same_kind',
      `CREATE TABLE t (id int PRIMARY KEY, v varchar(20));
       INSERT INTO t VALUES (1, 'v1');
       CREATE TABLE o (id int PRIMARY KEY, v varchar(20));
       INSERT INTO o VALUES (1, 'v1');
       CREATE PUBLICATION tap_postgres FOR ALL TABLES;`,
    );
    await f.select({ 'public-t': {}, 'public-o': {} });
  });
  afterAll(async () => {
    await f.db.drop();
  });

  it('a shorter varchar USING left(…): PostgreSQL rewrites the rows, sends nothing; copied again under a new version', async () => {
    const first = await f.run();
    expect(first.code).toBe(0);
    await f.db.query(`INSERT INTO t VALUES (101, 'v101')`);
    const second = await f.run(lastState(first.msgs));
    expect(second.code).toBe(0);
    expect(held([first.msgs, second.msgs], 'public-t')).toContain('101:v101');
    await f.db.query(`ALTER TABLE t ALTER COLUMN v TYPE varchar(3) USING left(v, 3)`);
    const third = await f.run(lastState(second.msgs));
    expect(third.stderr).not.toMatch(/CRITICAL/);
    expect(third.code).toBe(0);
    expect(third.stderr).toMatch(
      /public-t: column 'v' changed type since the last run \(now character varying\(3\)\): .*copied again under a new version/,
    );
    const version = (msgs: Message[]) =>
      ofStream(msgs, 'public-t').find((m) => m.type === 'RECORD')?.version as number;
    expect(version(third.msgs)).toBeGreaterThan(version(first.msgs));
    expect(recordSchemaErrors(third.msgs)).toEqual([]);
    const runs = [first.msgs, second.msgs, third.msgs];
    expect(held(runs, 'public-t')).toEqual(await source(f, 't'));
    expect(held(runs, 'public-t')).toContain('101:v10');
    // recorded: the next run just streams
    await f.db.query(`INSERT INTO t VALUES (102, 'v02')`);
    const next = await f.run(lastState(third.msgs));
    expect(next.code).toBe(0);
    expect(ofStream(next.msgs, 'public-t').filter((m) => m.type === 'ACTIVATE_VERSION')).toEqual(
      [],
    );
    expect(ofStream(next.msgs, 'public-t').filter((m) => m.type === 'RECORD')).toHaveLength(1);
  });

  it("a state without column_types (an older tap's): not copied again, and the run records them", async () => {
    await f.select({ 'public-o': {} });
    const first = await f.run();
    expect(first.code).toBe(0);
    const s = lastState(first.msgs)!;
    expect(s.bookmarks['public-o']!.column_types).toEqual({
      id: expect.any(String),
      v: expect.any(String),
    });
    const { column_types: _t, ...older } = s.bookmarks['public-o']!;
    await f.db.query(`INSERT INTO o VALUES (2, 'v2')`);
    const r = await f.run({ ...s, bookmarks: { 'public-o': older } });
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/copied again under a new version|changed type/);
    expect(ofStream(r.msgs, 'public-o').filter((m) => m.type === 'ACTIVATE_VERSION')).toEqual([]);
    expect(ofStream(r.msgs, 'public-o').filter((m) => m.type === 'RECORD')).toHaveLength(1);
    expect(lastState(r.msgs)!.bookmarks['public-o']!.column_types).toEqual(
      s.bookmarks['public-o']!.column_types,
    );
  });
});
