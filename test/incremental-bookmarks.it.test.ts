import { lastState, parseMessages, records, selectStreams } from './support/catalog-helpers';
import { runTap, tempFiles } from './support/run-tap';
import { killLeftoverTaps, startTap } from './support/tap-process';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * INCREMENTAL reads through COPY, which takes no parameters: the bookmark goes into the statement
 * as a quoted literal. These keys try to break out of it (quotes, backslashes, `'; DROP …`),
 * lose precision on the way (40 digits, 2^53 + 1, a microsecond), have no JSON form
 * (`infinity`, a BC date) or compare unlike their text (char's padding, citext's case); each
 * resumed run must select exactly `key >= last key of the first run`, as PostgreSQL itself
 * compares.
 */
const DROP = 'DROP TABLE public.sentinel; --';

interface Case {
  type: string;
  /** The first run's keys, as text PostgreSQL reads as `type`; the last in key order is the bookmark. */
  first: string[];
  /** `replication_key_value` as it must appear in the STATE line, raw JSON. */
  bookmark: string;
  /** Added before the resumed run: just below the bookmark, equal to it, and above it. */
  later: string[];
}

const CASES: Array<[string, Case]> = [
  [
    'text with quotes',
    {
      type: 'text',
      first: ['a', "b'c", `zz'' ${DROP}`],
      bookmark: JSON.stringify(`zz'' ${DROP}`),
      later: ["zz'' DROP", `zz'' ${DROP}`, `zz'' ${DROP}x`],
    },
  ],
  [
    'text with backslashes, quotes and unicode',
    {
      type: 'text',
      first: ['a', `zz\\'; ${DROP} ünï ✓ 𝄞 \\\\`],
      bookmark: JSON.stringify(`zz\\'; ${DROP} ünï ✓ 𝄞 \\\\`),
      later: [
        `zz\\'; ${DROP} ünï ✓ 𝄞 \\`,
        `zz\\'; ${DROP} ünï ✓ 𝄞 \\\\`,
        `zz\\'; ${DROP} ünï ✓ 𝄞 \\\\\\`,
      ],
    },
  ],
  [
    'text with a tab and a newline, which COPY escapes',
    {
      type: 'text',
      first: ['a', 'zz\t\n\\x'],
      bookmark: JSON.stringify('zz\t\n\\x'),
      later: ['zz\t\n', 'zz\t\n\\x', 'zz\t\n\\xy'],
    },
  ],
  [
    'varchar ending in a backslash',
    {
      type: 'varchar(80)',
      first: ['a', "zz'\\"],
      bookmark: JSON.stringify("zz'\\"),
      later: ["zz'", "zz'\\", "zz'\\'"],
    },
  ],
  [
    'a blank-padded char, compared without its padding',
    {
      type: 'char(6)',
      first: ['a', "zz'\\"],
      bookmark: JSON.stringify("zz'\\  "),
      later: ["zz'", "zz'\\", "zz'\\x"],
    },
  ],
  [
    'a citext, compared without case',
    {
      type: 'citext',
      first: ['a', "ZZ'\\"],
      bookmark: JSON.stringify("ZZ'\\"),
      later: ["zz'", "zz'\\", "zz'\\x"],
    },
  ],
  [
    'a numeric of 40 digits',
    {
      type: 'numeric',
      first: ['1', '1234567890123456789012345678901234567890.12345'],
      bookmark: '1234567890123456789012345678901234567890.12345',
      later: [
        '1234567890123456789012345678901234567890.12344',
        '1234567890123456789012345678901234567890.12345',
        '1234567890123456789012345678901234567890.12346',
      ],
    },
  ],
  [
    'a bigint past 2^53',
    {
      type: 'bigint',
      first: ['-5', '9007199254740993'],
      bookmark: '9007199254740993',
      later: ['9007199254740992', '9007199254740993', '9007199254740994'],
    },
  ],
  [
    'a timestamptz at microsecond precision',
    {
      type: 'timestamptz',
      first: ['2024-01-01 00:00:00+00', '2024-06-01 12:34:56.123457+00'],
      bookmark: '"2024-06-01T12:34:56.123457+00:00"',
      later: [
        '2024-06-01 12:34:56.123456+00',
        '2024-06-01 14:34:56.123457+02',
        '2024-06-01 12:34:56.123458+00',
      ],
    },
  ],
  [
    'a timestamp without time zone at microsecond precision',
    {
      type: 'timestamp',
      first: ['2024-01-01 00:00:00', '2024-06-01 12:34:56.123457'],
      bookmark: '"2024-06-01T12:34:56.123457+00:00"',
      later: [
        '2024-06-01 12:34:56.123456',
        '2024-06-01 12:34:56.123457',
        '2024-06-01 12:34:56.123458',
      ],
    },
  ],
  [
    'a timestamptz at infinity',
    {
      type: 'timestamptz',
      first: ['2024-01-01 00:00:00+00', 'infinity'],
      bookmark: '"infinity"',
      later: ['9999-12-31 23:59:59.999999+00', 'infinity', 'infinity'],
    },
  ],
  [
    'a BC date',
    {
      type: 'date',
      first: ['0100-01-01 BC', '0044-03-15 BC'],
      bookmark: '"0044-03-15 BC"',
      later: ['0044-03-14 BC', '0044-03-15 BC', '0001-01-01'],
    },
  ],
  [
    'a uuid',
    {
      type: 'uuid',
      first: ['00000000-0000-0000-0000-000000000001', 'ffffffff-ffff-ffff-ffff-fffffffffffe'],
      bookmark: '"ffffffff-ffff-ffff-ffff-fffffffffffe"',
      later: [
        'ffffffff-ffff-ffff-ffff-fffffffffffd',
        'ffffffff-ffff-ffff-ffff-fffffffffffe',
        'ffffffff-ffff-ffff-ffff-ffffffffffff',
      ],
    },
  ],
];

describe('INCREMENTAL bookmarks inlined into COPY', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;

  beforeAll(async () => {
    db = await createTestDatabase('incbm');
    await db.query('CREATE EXTENSION IF NOT EXISTS citext');
    await db.query('CREATE TABLE public.sentinel (id int); INSERT INTO public.sentinel VALUES (1)');
    for (const [i] of CASES.entries()) {
      await db.query(`CREATE TABLE k${i} (id serial PRIMARY KEY, k ${CASES[i]![1].type})`);
      await db.query(
        `INSERT INTO k${i} (k) SELECT x::${CASES[i]![1].type} FROM unnest($1::text[]) WITH ORDINALITY u(x, o) ORDER BY o`,
        [CASES[i]![1].first],
      );
    }
    await db.query(
      `CREATE TABLE stop_me (id int PRIMARY KEY, pad text);
       INSERT INTO stop_me SELECT i, repeat('x', 500) FROM generate_series(1, 40000) i;`,
    );
    config = files.write('config.json', db.config);
  });
  afterEach(killLeftoverTaps);
  afterAll(async () => {
    await db.drop();
  });

  const catalogFor = async (table: string) => {
    const r = await runTap(['--config', config, '--discover']);
    expect(r.code).toBe(0);
    return files.write(
      `catalog-${table}.json`,
      selectStreams(JSON.parse(r.stdout), {
        [`public-${table}`]: {
          method: 'INCREMENTAL',
          replicationKey: table === 'stop_me' ? 'id' : 'k',
        },
      }),
    );
  };

  it.each(CASES.map(([name, c], i) => [name, i, c] as const))(
    '%s: the bookmark keeps the value exactly and the next run selects key >= it',
    async (_name, i, c) => {
      const table = `k${i}`;
      const catalog = await catalogFor(table);
      const first = await runTap(['--config', config, '--catalog', catalog]);
      expect(first.code).toBe(0);
      expect(records(parseMessages(first.stdout))).toHaveLength(c.first.length);
      const stateLine = first.stdout
        .split('\n')
        .filter((l) => l.startsWith('{"type":"STATE"'))
        .pop()!;
      expect(stateLine).toContain(`"replication_key_value":${c.bookmark}`);

      const [{ max }] = (await db.query<{ max: string }>(
        `SELECT max(id)::int AS max FROM ${table}`,
      )) as [{ max: string }];
      await db.query(
        `INSERT INTO ${table} (k) SELECT x::${c.type} FROM unnest($1::text[]) WITH ORDINALITY u(x, o) ORDER BY o`,
        [c.later],
      );
      // What PostgreSQL selects comparing with the first run's last key itself: no text involved.
      const expected = await db.query<{ id: number }>(
        `SELECT id FROM ${table}
          WHERE k >= (SELECT k FROM ${table} WHERE id <= $1 ORDER BY k DESC LIMIT 1) ORDER BY id`,
        [max],
      );
      // The STATE's value as printed, not through JSON.parse: a number keeps all its digits.
      const rawState = files.write(
        `state-${table}.json`,
        stateLine.slice('{"type":"STATE","value":'.length, -1),
      );
      const second = await runTap(['--config', config, '--catalog', catalog, '--state', rawState]);
      expect(second.code).toBe(0);
      const got = records(parseMessages(second.stdout)).map((r) => r.id as number);
      expect([...got].sort((a, b) => a - b)).toEqual(expected.map((r) => r.id));
      // The row just below the bookmark is not read; the one equal to it is.
      expect(got).not.toContain(Number(max) + 1);
      expect(got).toContain(Number(max) + 2);
      const sentinel = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM public.sentinel',
      );
      expect(sentinel[0]!.n).toBe(1);
    },
  );

  it('SIGTERM mid-COPY: a final STATE at the last record written; the next run loses no row', async () => {
    const catalog = await catalogFor('stop_me');
    const tap = startTap(['--config', config, '--catalog', catalog]);
    await tap.until((m) => m.type === 'RECORD');
    tap.pause();
    // Wait until the tap is blocked on a full pipe, inside the one COPY statement.
    const out = tap.child.stdout;
    for (let i = 0; i < 300 && out.readableLength < out.readableHighWaterMark; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
    }
    tap.child.kill('SIGTERM');
    tap.resume();
    const { code } = await tap.exited;
    expect(code).toBe(0);
    expect(tap.stderr()).toMatch(/stopped by SIGTERM: the final STATE above resumes the run/);
    const msgs = tap.messages;
    expect(msgs[msgs.length - 1]!.type).toBe('STATE');
    const ids = records(msgs).map((r) => r.id as number);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThan(40000); // it stopped inside the COPY
    const state = lastState(msgs)!;
    expect(state.currently_syncing).toBe('public-stop_me');
    // The final STATE covers exactly what was written: its bookmark is the last key sent.
    expect(state.bookmarks['public-stop_me']!.replication_key_value).toBe(ids[ids.length - 1]);

    const next = await runTap([
      '--config',
      config,
      '--catalog',
      catalog,
      '--state',
      files.write('stop-state.json', state),
    ]);
    expect(next.code).toBe(0);
    const rest = records(parseMessages(next.stdout)).map((r) => r.id as number);
    expect(rest[0]).toBe(ids[ids.length - 1]); // >=: the boundary row again
    const all = new Set([...ids, ...rest]);
    expect(all.size).toBe(40000);
  });
});
