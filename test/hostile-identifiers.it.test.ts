import { tapStreamId } from '../src/catalog/stream-id';
import {
  lastState,
  parseMessages,
  records,
  replay,
  selectStreams,
  type Message,
} from './support/catalog-helpers';
import { contractViolations, describeRun } from './support/output-contract';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * Security: identifiers from a catalog are always quoted and values always parameters
 * (or, in COPY, escaped literals). Schemas, tables and columns named with quotes, semicolons,
 * `"; DROP TABLE …`, backslashes, unicode, spaces, mixed case and 63 bytes go through discovery and
 * every replication method; every value comes out exactly, and the sentinel table the names try
 * to drop is still there.
 */
const DROP = 'DROP TABLE public.sentinel; --';
const qi = (s: string) => `"${s.replace(/"/g, '""')}"`;
/** 63 bytes: PostgreSQL's identifier limit (NAMEDATALEN - 1), here with 2-byte characters. */
const LONG_TABLE = `${'é'.repeat(30)}_Ü`;
const LONG_COLUMN = `${'c'.repeat(58)}"; ß`;

interface Table {
  schema: string;
  name: string;
  /** Column names: key, a replication key (text, so bookmarks are hostile strings too), others. */
  key: string;
  text: string;
  others: { int: string; ts: string; uni: string };
}

const TABLES: Table[] = [
  {
    schema: `Sch"ema-x'; ${DROP}`,
    name: `Tab'le "x"; ${DROP}`,
    key: `"; ${DROP}`,
    text: `it's \\ "back\\slash"`,
    others: { int: 'select', ts: 'Mixed Case', uni: 'Ünïcode 🐘' },
  },
  {
    schema: 'public',
    name: LONG_TABLE,
    key: 'MiXeD',
    text: `$1 %s ?; ${DROP}`,
    others: { int: 'with space', ts: `'); ${DROP}`, uni: LONG_COLUMN },
  },
  {
    schema: 'Ünï Schema',
    name: `back\\slash\\\\ 'n' "q"`,
    key: 'id',
    text: "E'\\x41'",
    others: { int: 'ORDER', ts: 'Where', uni: '"' },
  },
];

/** Key and text values that would break string-built SQL (used as keys too, so in COPY literals). */
const KEYS = [
  "it's",
  'back\\slash',
  `'); ${DROP}`,
  '"dq"',
  'ünï 🐘',
  '%s $1 ?',
  "E'\\x00'",
  ' leading space',
  '\\\\',
  "''",
];

const tsOf = (i: number) =>
  `2024-01-0${1 + (i % 9)}T03:04:05.${String(100000 + i).slice(1)}1+00:00`;

function expected(t: Table, key: string, i: number, suffix = ''): Record<string, unknown> {
  return {
    [t.key]: key,
    [t.text]: `${key}${suffix}`,
    [t.others.int]: i,
    [t.others.ts]: tsOf(i),
    [t.others.uni]: `${key} ✓`,
  };
}

const streamId = (t: Table) => tapStreamId(t.schema, t.name);
/** One stream's messages (replay applies whatever it is given). */
const only = (msgs: Message[], t: Table) => msgs.filter((m) => m.stream === streamId(t));

describe('hostile identifiers and values', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;
  let catalog: { streams: Array<{ tap_stream_id: string; metadata: never[] }> };

  const insert = async (t: Table, key: string, i: number, suffix = '') => {
    const cols = [t.key, t.text, t.others.int, t.others.ts, t.others.uni];
    await db.query(
      `INSERT INTO ${qi(t.schema)}.${qi(t.name)} (${cols.map(qi).join(', ')}) VALUES ($1, $2, $3, $4, $5)`,
      [key, `${key}${suffix}`, i, tsOf(i), `${key} ✓`],
    );
  };

  const run = async (argv: string[]) => {
    const r = await runTap(argv);
    expect(contractViolations(r, { allowed: [0] })).toEqual([]);
    return r;
  };

  const sentinelIntact = async () => {
    const rows = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM public.sentinel');
    expect(rows[0]!.n).toBe('1');
  };

  beforeAll(async () => {
    db = await createTestDatabase('hostile');
    await db.query('CREATE TABLE public.sentinel (id int); INSERT INTO public.sentinel VALUES (1)');
    for (const t of TABLES) {
      if (t.schema !== 'public') await db.query(`CREATE SCHEMA ${qi(t.schema)}`);
      await db.query(
        `CREATE TABLE ${qi(t.schema)}.${qi(t.name)} (${qi(t.key)} text PRIMARY KEY, ${qi(t.text)} text, ${qi(t.others.int)} int, ${qi(t.others.ts)} timestamptz, ${qi(t.others.uni)} text)`,
      );
      for (const [i, k] of KEYS.entries()) await insert(t, k, i);
    }
    // The names are really what the test says (PostgreSQL did not truncate or fold them).
    const names = await db.query<{ relname: string; bytes: number }>(
      `SELECT relname, octet_length(relname) AS bytes FROM pg_class WHERE relname = $1`,
      [LONG_TABLE],
    );
    expect(names).toEqual([{ relname: LONG_TABLE, bytes: 63 }]);
    const cols = await db.query<{ bytes: number }>(
      `SELECT octet_length(attname) AS bytes FROM pg_attribute WHERE attname = $1`,
      [LONG_COLUMN],
    );
    expect(cols).toEqual([{ bytes: 63 }]);
    expect(Buffer.byteLength(LONG_TABLE)).toBe(63);
    expect(Buffer.byteLength(LONG_COLUMN)).toBe(63);
    config = files.write('config.json', {
      ...db.config,
      // Small batches: FULL_TABLE resumes each batch after the last key, a hostile string literal.
      batch_fetch_limit: 3,
      publication_name: `pub"; ${DROP}`,
      create_publication: true,
    });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('discovery lists every hostile schema, table and column as it is', async () => {
    const r = await run(['--config', config, '--discover']);
    catalog = JSON.parse(r.stdout);
    for (const t of TABLES) {
      const s = catalog.streams.find((x) => x.tap_stream_id === streamId(t)) as unknown as {
        table_name: string;
        schema: { properties: Record<string, unknown> };
        metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
      };
      expect(s).toBeDefined();
      expect(s.table_name).toBe(t.name);
      expect(s.metadata[0]!.metadata['schema-name']).toBe(t.schema);
      expect(s.metadata[0]!.metadata['table-key-properties']).toEqual([t.key]);
      expect(Object.keys(s.schema.properties)).toEqual([
        t.key,
        t.text,
        t.others.int,
        t.others.ts,
        t.others.uni,
      ]);
    }
    await sentinelIntact();
  });

  const catalogFor = (method: 'FULL_TABLE' | 'INCREMENTAL' | 'LOG_BASED') =>
    files.write(
      `catalog-${method}.json`,
      selectStreams(
        catalog,
        Object.fromEntries(
          TABLES.map((t) => [
            streamId(t),
            { method, ...(method === 'INCREMENTAL' ? { replicationKey: t.text } : {}) },
          ]),
        ),
      ),
    );

  const byKey = (rows: Record<string, unknown>[], t: Table) =>
    [...rows].sort((a, b) => String(a[t.key]).localeCompare(String(b[t.key])));
  const expectedRows = (t: Table, suffix = '') =>
    byKey(
      KEYS.map((k, i) => expected(t, k, i, suffix)),
      t,
    );

  it('FULL_TABLE reads every row exactly, in keyset batches resumed after hostile keys', async () => {
    const r = await run(['--config', config, '--catalog', catalogFor('FULL_TABLE')]);
    const msgs = parseMessages(r.stdout);
    for (const t of TABLES) {
      expect(byKey(records(msgs, streamId(t)), t)).toEqual(expectedRows(t));
    }
    await sentinelIntact();
  });

  it('FULL_TABLE resumes from a state whose last_pk_fetched is a hostile string', async () => {
    const t = TABLES[0]!;
    const sorted = await db.query<{ k: string }>(
      `SELECT ${qi(t.key)} AS k FROM ${qi(t.schema)}.${qi(t.name)} ORDER BY 1`,
    );
    const after = sorted[3]!.k;
    const state = files.write('ft-state.json', {
      bookmarks: { [streamId(t)]: { version: 1, last_pk_fetched: { [t.key]: after } } },
    });
    const r = await run([
      '--config',
      config,
      '--catalog',
      catalogFor('FULL_TABLE'),
      '--state',
      state,
    ]);
    const got = records(parseMessages(r.stdout), streamId(t)).map((x) => x[t.key]);
    expect(got).toEqual(sorted.slice(4).map((x) => x.k));
    await sentinelIntact();
  });

  it('INCREMENTAL with a hostile-named text key: first run, then a resumed run from a hostile bookmark', async () => {
    const k = catalogFor('INCREMENTAL');
    const first = parseMessages((await run(['--config', config, '--catalog', k])).stdout);
    for (const t of TABLES) expect(byKey(records(first, streamId(t)), t)).toEqual(expectedRows(t));
    const state = files.write('inc-state.json', lastState(first));
    // A key that sorts after every bookmark whatever the collation: the largest value, extended.
    const added = new Map<Table, string>();
    try {
      for (const t of TABLES) {
        const max = await db.query<{ m: string }>(
          `SELECT max(${qi(t.text)}) AS m FROM ${qi(t.schema)}.${qi(t.name)}`,
        );
        added.set(t, `${max[0]!.m}'"; ${DROP}`);
        await insert(t, added.get(t)!, 9);
      }
      const second = parseMessages(
        (await run(['--config', config, '--catalog', k, '--state', state])).stdout,
      );
      for (const t of TABLES) {
        const bookmark = lastState(first)!.bookmarks[streamId(t)]!.replication_key_value as string;
        const got = records(second, streamId(t)).map((x) => x[t.key]);
        // >= the bookmark: the boundary row again, then the new one; compared by the database.
        const want = await db.query<{ k: string }>(
          `SELECT ${qi(t.key)} AS k FROM ${qi(t.schema)}.${qi(t.name)} WHERE ${qi(t.text)} >= $1 ORDER BY ${qi(t.text)}`,
          [bookmark],
        );
        expect(got).toEqual(want.map((x) => x.k));
        expect(got).toContain(added.get(t));
        expect(lastState(second)!.bookmarks[streamId(t)]!.replication_key_value).toBe(added.get(t));
      }
      await sentinelIntact();
    } finally {
      for (const [t, key] of added)
        await db.query(`DELETE FROM ${qi(t.schema)}.${qi(t.name)} WHERE ${qi(t.key)} = $1`, [key]);
    }
  });

  it('LOG_BASED: publication created with a hostile name, copy and then inserts, updates and deletes', async () => {
    const k = catalogFor('LOG_BASED');
    const first = parseMessages((await run(['--config', config, '--catalog', k])).stdout);
    for (const t of TABLES) {
      const got = [...replay(only(first, t), t.key).values()];
      expect(byKey(got, t)).toEqual(expectedRows(t));
    }
    const pubs = await db.query<{ pubname: string }>('SELECT pubname FROM pg_publication');
    expect(pubs.map((p) => p.pubname)).toEqual([`pub"; ${DROP}`]);

    for (const t of TABLES) {
      const tbl = `${qi(t.schema)}.${qi(t.name)}`;
      await db.query(`UPDATE ${tbl} SET ${qi(t.text)} = ${qi(t.text)} || $1`, [`'; ${DROP}`]);
      await db.query(`DELETE FROM ${tbl} WHERE ${qi(t.key)} = $1`, [KEYS[2]]);
      await insert(t, `new "'; ${DROP}`, 7, `'; ${DROP}`);
    }
    const state = files.write('lb-state.json', lastState(first));
    const r = await run(['--config', config, '--catalog', k, '--state', state]);
    const second = parseMessages(r.stdout);
    for (const t of TABLES) {
      const target = replay(only(second, t), t.key, replay(only(first, t), t.key));
      const want = byKey(
        [
          ...KEYS.map((key, i) => ({ key, i })).filter(({ key }) => key !== KEYS[2]),
          { key: `new "'; ${DROP}`, i: 7 },
        ].map(({ key, i }) => expected(t, key, i, `'; ${DROP}`)),
        t,
      );
      if (JSON.stringify(byKey([...target.values()], t)) !== JSON.stringify(want))
        throw new Error(`${t.name}: replay differs\n${describeRun(r)}`);
      expect(records(second, streamId(t)).length).toBeGreaterThanOrEqual(KEYS.length + 1);
    }
    await sentinelIntact();
  });
});
