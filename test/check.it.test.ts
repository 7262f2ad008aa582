import { Client } from 'pg';
import { selectStreams, type Selection } from './support/catalog-helpers';
import { wal2jsonServerUrl, wal2jsonSkipped } from './support/debian-server';
import { runTap, tempFiles, type TapRun } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * `--check` against a database missing each prerequisite in turn: the report names it with the
 * SQL that fixes it (exit 1), and once that SQL ran the same line is a ✓ (exit 0). The report is
 * on stderr; stdout stays empty (no SCHEMA, RECORD or STATE).
 */
describe('--check', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let discovered: { streams: { tap_stream_id: string; metadata: never[] }[] };
  const role = () => `chk_${db.name}`;
  // A marker that must never appear in any output.
  const PASSWORD = 'marker-pw-7d41c9';

  const check = async (
    selections: Record<string, Selection> | null,
    patch: Record<string, unknown> = {},
    extra: string[] = [],
  ): Promise<TapRun> => {
    const config = files.write(`config-${Math.random()}.json`, { ...db.config, ...patch });
    const args = ['--config', config, '--check', ...extra];
    if (selections) {
      const catalog = selectStreams(discovered, selections);
      args.push('--catalog', files.write(`catalog-${Math.random()}.json`, catalog));
    }
    const r = await runTap(args);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.stderr).not.toContain(db.config.password);
    return r;
  };
  const asRole = { user: '', password: PASSWORD };
  const logBased = (...ids: string[]) =>
    Object.fromEntries(ids.map((id) => [id, { method: 'LOG_BASED' as const }]));

  beforeAll(async () => {
    db = await createTestDatabase('check');
    asRole.user = role();
    await db.query(`
      CREATE TABLE items (id int PRIMARY KEY, v text, doc json, updated_at timestamptz);
      CREATE TABLE nokey (v text);
      CREATE TABLE parted (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
      CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu');
      CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us');
      DROP ROLE IF EXISTS "${role()}";
      CREATE ROLE "${role()}" LOGIN PASSWORD '${PASSWORD}';
      GRANT CONNECT ON DATABASE "${db.name}" TO "${role()}";
    `);
    const disc = await runTap(['--config', files.write('disc.json', db.config), '--discover']);
    discovered = JSON.parse(disc.stdout) as typeof discovered;
  });
  afterAll(async () => {
    await db.drop();
    const c = new Client({ connectionString: db.url.replace(`/${db.name}`, '/postgres') });
    await c.connect();
    await c.query(`DROP ROLE IF EXISTS "${role()}"`);
    await c.end();
  });

  it('without a catalog: connection, version and discovery, exit 0', async () => {
    const r = await check(null);
    expect(r.code).toBe(0);
    expect(r.stderrLines).toContainEqual(expect.stringMatching(/^ {2}✓ connected/));
    expect(r.stderrLines).toContainEqual(expect.stringMatching(/^ {2}✓ PostgreSQL 1[4-8]\./));
    expect(r.stderrLines).toContainEqual(expect.stringMatching(/^ {2}✓ wal_level is 'logical'/));
    expect(r.stderrLines.at(-1)).toMatch(/^READY/);
  });

  it('a wrong password: exit 1, a readable line, no password anywhere', async () => {
    const r = await check(null, { user: role(), password: `${PASSWORD}-wrong` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `✗ cannot connect to PostgreSQL: password authentication failed for user '${role()}'`,
      ),
    );
    expect(r.stderr).not.toContain(`${PASSWORD}-wrong`);
    expect(r.stderrLines.at(-1)).toMatch(
      /^NOT READY: 1 problem, 0 warnings; set-up guide: README.md#postgresql-set-up$/,
    );
  });

  it('a refused connection: exit 1, says where', async () => {
    const r = await check(null, { host: '127.0.0.1', port: 1 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✗ cannot connect to PostgreSQL: connection refused at 127.0.0.1:1/);
  });

  it('filter_schemas naming a missing schema', async () => {
    const bad = await check(null, { filter_schemas: 'public,nosuch' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/✗ schema nosuch \(filter_schemas\) does not exist/);
    expect(bad.stderr).toMatch(/✓ schema public is readable/);
  });

  it('SELECT privilege: GRANT SELECT fixes it', async () => {
    const sel = { 'public-items': { method: 'FULL_TABLE' as const } };
    const bad = await check(sel, asRole);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `✗ role '${role()}' may not SELECT public.items — fix: GRANT SELECT ON "public"."items" TO "${role()}";`,
    );
    await db.query(`GRANT SELECT ON "public"."items" TO "${role()}"`);
    const good = await check(sel, asRole);
    expect(good.stderr).toContain(`✓ role '${role()}' may SELECT public.items`);
    expect(good.code).toBe(0);
  });

  it('a selected column that no longer exists', async () => {
    await db.query('ALTER TABLE items ADD COLUMN gone int');
    const disc = await runTap(['--config', files.write('d2.json', db.config), '--discover']);
    await db.query('ALTER TABLE items DROP COLUMN gone');
    const saved = discovered;
    discovered = JSON.parse(disc.stdout) as typeof discovered;
    try {
      const r = await check({ 'public-items': { method: 'FULL_TABLE' } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        "✗ column 'gone' of public.items does not exist — run --discover again, or deselect it in the catalog",
      );
    } finally {
      discovered = saved;
    }
  });

  it('an INCREMENTAL replication key that cannot be ordered', async () => {
    // The catalog is edited by hand here: discovery never offers json as a replication key.
    const bad = await check({ 'public-items': { method: 'INCREMENTAL', replicationKey: 'doc' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /✗ replication key 'doc' is of type json, which cannot be bookmarked/,
    );
    const good = await check({
      'public-items': { method: 'INCREMENTAL', replicationKey: 'updated_at' },
    });
    expect(good.stderr).toMatch(/✓ replication key 'updated_at' \(timestamp with time zone\)/);
    expect(good.code).toBe(0);
  });

  it('LOG_BASED without a publication, then with one', async () => {
    const bad = await check(logBased('public-items'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `✗ publication 'tap_postgres' does not exist — fix: CREATE PUBLICATION "tap_postgres" FOR TABLE "public"."items"; (or set create_publication)`,
    );
    const creates = await check(logBased('public-items'), { create_publication: true });
    expect(creates.stderr).toMatch(
      /✓ publication 'tap_postgres' does not exist; the run creates it/,
    );
    expect(creates.code).toBe(0);
    await db.query('CREATE PUBLICATION tap_postgres FOR TABLE items');
    const good = await check(logBased('public-items'));
    expect(good.stderr).toContain(`✓ publication 'tap_postgres' covers public.items`);
    expect(good.stderr).toContain('✓ public.items: REPLICA IDENTITY DEFAULT (primary key)');
    expect(good.stderr).toMatch(/✓ replication slot 'tap_postgres_check_\w+' does not exist yet/);
    expect(good.stderr).toContain('✓ output plugin pgoutput is built in');
    expect(good.stderr).toContain('✓ a replication connection (replication=database) is accepted');
    expect(good.code).toBe(0);
  });

  it('a publication that does not cover a table, or skips deletes', async () => {
    const bad = await check(logBased('public-items', 'public-nokey'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `✗ publication 'tap_postgres' does not cover the LOG_BASED tables — fix: ALTER PUBLICATION "tap_postgres" ADD TABLE "public"."nokey";`,
    );
    await db.query(`ALTER PUBLICATION tap_postgres SET (publish = 'insert, update')`);
    const ops = await check(logBased('public-items'));
    expect(ops.code).toBe(1);
    expect(ops.stderr).toContain(
      `✗ publication 'tap_postgres' does not publish delete: those changes would never reach the tap — fix: ALTER PUBLICATION "tap_postgres" SET (publish = 'insert, update, delete, truncate');`,
    );
    await db.query(`ALTER PUBLICATION tap_postgres SET (publish = 'insert, update, delete')`);
    const trunc = await check(logBased('public-items'));
    expect(trunc.stderr).toMatch(/⚠ publication 'tap_postgres' does not publish TRUNCATE/);
    expect(trunc.code).toBe(0);
    await db.query(
      `ALTER PUBLICATION tap_postgres SET (publish = 'insert, update, delete, truncate')`,
    );
  });

  it('REPLICA IDENTITY: no key is a warning with the fix, FULL is fine', async () => {
    await db.query('ALTER PUBLICATION tap_postgres ADD TABLE nokey');
    const warn = await check(logBased('public-nokey'));
    expect(warn.stderr).toContain(
      '⚠ public.nokey has REPLICA IDENTITY DEFAULT and no primary key: updates and deletes carry no key (PostgreSQL refuses them while the table is published for them) — fix: ALTER TABLE "public"."nokey" REPLICA IDENTITY FULL; (or add a primary key)',
    );
    expect(warn.code).toBe(0);
    expect(warn.stderrLines.at(-1)).toBe('READY (1 warning)');
    await db.query('ALTER TABLE nokey REPLICA IDENTITY FULL');
    const good = await check(logBased('public-nokey'));
    expect(good.stderr).toContain('✓ public.nokey: REPLICA IDENTITY FULL');
    expect(good.stderrLines.at(-1)).toBe('READY');
  });

  it('a partitioned table needs publish_via_partition_root', async () => {
    await db.query('ALTER PUBLICATION tap_postgres ADD TABLE parted');
    const bad = await check(logBased('public-parted'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `✗ publication 'tap_postgres' publishes the partitions of "public"."parted" under their own names, not as the partitioned table — fix: ALTER PUBLICATION "tap_postgres" SET (publish_via_partition_root = true);`,
    );
    await db.query('ALTER PUBLICATION tap_postgres SET (publish_via_partition_root = true)');
    const good = await check(logBased('public-parted'));
    expect(good.stderr).toContain(`✓ publication 'tap_postgres' covers public.parted`);
    expect(good.stderr).toContain('✓ public.parted_eu: REPLICA IDENTITY DEFAULT (primary key)');
    expect(good.code).toBe(0);
  });

  it('the sync stops on the same problem, with the same words', async () => {
    await db.query('ALTER PUBLICATION tap_postgres SET (publish_via_partition_root = false)');
    const catalog = files.write('p.json', selectStreams(discovered, logBased('public-parted')));
    const config = files.write('p-config.json', db.config);
    const sync = await runTap(['--config', config, '--catalog', catalog]);
    expect(sync.code).toBe(1);
    expect(sync.stdout).toBe('');
    expect(sync.stderr).toContain(
      `publication 'tap_postgres' publishes the partitions of "public"."parted" under their own names, not as the partitioned table: run \`ALTER PUBLICATION "tap_postgres" SET (publish_via_partition_root = true);\``,
    );
    await db.query('ALTER PUBLICATION tap_postgres SET (publish_via_partition_root = true)');
  });

  it('REPLICATION privilege: ALTER ROLE … WITH REPLICATION fixes it', async () => {
    const bad = await check(logBased('public-items'), asRole);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `✗ role '${role()}' lacks the REPLICATION privilege — fix: ALTER ROLE "${role()}" WITH REPLICATION;`,
    );
    await db.query(`ALTER ROLE "${role()}" WITH REPLICATION`);
    const good = await check(logBased('public-items'), asRole);
    expect(good.stderr).toContain(`✓ role '${role()}' may replicate`);
    expect(good.code).toBe(0);
  });

  it('wal2json: not installed on this server (the probe slot is gone afterwards)', async () => {
    const r = await check(logBased('public-items'), { logical_decoding_plugin: 'wal2json' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✗ output plugin wal2json is not installed on the server/);
    const left = await db.query(
      `SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE 'tap_postgres_check_%'`,
    );
    expect(left).toEqual([]);
  });

  it('a slot with another plugin, then a bookmark whose slot is gone', async () => {
    const slot = `tap_postgres_${db.name}`;
    await db.query(`SELECT pg_create_logical_replication_slot($1, 'test_decoding')`, [slot]);
    const bad = await check(logBased('public-items'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `✗ replication slot '${slot}' uses the plugin 'test_decoding', not 'pgoutput' — fix: SELECT pg_drop_replication_slot('${slot}'); or set replication_slot to another name`,
    );
    await db.query('SELECT pg_drop_replication_slot($1)', [slot]); // never streamed: not active
    const state = files.write('state.json', {
      bookmarks: {
        'public-items': { last_replication_method: 'LOG_BASED', lsn: 12345, version: 1 },
      },
    });
    const lost = await check(logBased('public-items'), {}, ['--state', state]);
    expect(lost.code).toBe(1);
    expect(lost.stderr).toMatch(
      /✗ replication slot 'tap_postgres_\w+' does not exist but the state has an LSN for public-items/,
    );
  });

  it('an existing slot: its retained WAL is reported', async () => {
    const slot = `tap_postgres_${db.name}`;
    await db.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    const r = await check(logBased('public-items'));
    expect(r.stderr).toMatch(
      new RegExp(`✓ replication slot '${slot}' \\(pgoutput\\) retains \\d+(\\.\\d)? [kMG]B of WAL`),
    );
    expect(r.code).toBe(0);
    // A bookmark the slot was already confirmed past: those changes are gone.
    const state = files.write('old-state.json', {
      bookmarks: {
        'public-items': { last_replication_method: 'LOG_BASED', lsn: 12345, version: 1 },
      },
    });
    const lost = await check(logBased('public-items'), {}, ['--state', state]);
    expect(lost.code).toBe(1);
    expect(lost.stderr).toMatch(
      /✗ replication slot '\w+' was confirmed to [0-9A-F]+\/[0-9A-F]+, past the state's LSN 0\/3039 for public-items .*: changes since then are lost to the slot — set 'resnapshot_on_slot_loss': true/,
    );
    const again = await check(logBased('public-items'), { resnapshot_on_slot_loss: true }, [
      '--state',
      state,
    ]);
    expect(again.stderr).toMatch(/⚠ .* the run copies public-items again under a new version/);
    expect(again.code).toBe(0);
  });

  it('an invalid catalog is exit 2, before connecting', async () => {
    const config = files.write('c2.json', db.config);
    const r = await runTap([
      '--config',
      config,
      '--check',
      '--catalog',
      files.write('x.json', '{'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('--check on a server without logical decoding', () => {
  it('names wal_level with the setting that fixes it', async () => {
    const url = process.env.TAP_POSTGRES_TEST_REPLICA_URL;
    if (!url) return; // started by global-setup with the embedded server only
    const u = new URL(url);
    const c = new Client({ connectionString: url });
    await c.connect();
    await c.query('CREATE TABLE IF NOT EXISTS chk (id int PRIMARY KEY)');
    await c.end();
    const files = tempFiles();
    const config = files.write('config.json', {
      host: '127.0.0.1',
      port: Number(u.port),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      dbname: 'postgres',
    });
    const catalog = files.write('catalog.json', {
      streams: [
        {
          tap_stream_id: 'public-chk',
          schema: { properties: { id: { type: 'integer' } } },
          metadata: [
            { breadcrumb: [], metadata: { selected: true, 'replication-method': 'LOG_BASED' } },
          ],
        },
      ],
    });
    const r = await runTap(['--config', config, '--catalog', catalog, '--check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      "✗ wal_level is 'replica', LOG_BASED needs 'logical' — fix: ALTER SYSTEM SET wal_level = logical; and restart PostgreSQL",
    );
  });
});

const describeWal2json = wal2jsonSkipped() ? describe.skip : describe;

describeWal2json('--check with wal2json installed (Debian server)', () => {
  it('finds the plugin through a temporary slot, and needs no publication', async () => {
    const db = await createTestDatabase('chkw', wal2jsonServerUrl());
    try {
      await db.query('CREATE TABLE t (id int PRIMARY KEY)');
      const files = tempFiles();
      const config = files.write('config.json', {
        ...db.config,
        logical_decoding_plugin: 'wal2json',
      });
      const disc = await runTap(['--config', config, '--discover']);
      const catalog = files.write(
        'catalog.json',
        selectStreams(JSON.parse(disc.stdout), { 'public-t': { method: 'LOG_BASED' } }),
      );
      const r = await runTap(['--config', config, '--catalog', catalog, '--check']);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('✓ output plugin wal2json is installed');
      expect(r.stderr).not.toMatch(/publication/);
      expect(r.code).toBe(0);
    } finally {
      await db.drop();
    }
  });

  it('says when the server does not allow the plugin (output_plugin_libraries), and a sync stops there', async () => {
    const db = await createTestDatabase('chkl', wal2jsonServerUrl());
    try {
      const known = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM pg_settings WHERE name = 'output_plugin_libraries'`,
      );
      // Only minor releases that restrict output plugins have the setting.
      if (known[0]!.n === '0') return;
      await db.query('CREATE TABLE t (id int PRIMARY KEY)');
      await db.query(`ALTER DATABASE ${db.name} SET output_plugin_libraries = 'pgoutput'`);
      const files = tempFiles();
      const config = files.write('config.json', {
        ...db.config,
        logical_decoding_plugin: 'wal2json',
      });
      const disc = await runTap(['--config', config, '--discover']);
      const catalog = files.write(
        'catalog.json',
        selectStreams(JSON.parse(disc.stdout), { 'public-t': { method: 'LOG_BASED' } }),
      );
      const r = await runTap(['--config', config, '--catalog', catalog, '--check']);
      expect(r.stderr).toContain(
        "✗ output plugin wal2json is not in output_plugin_libraries ('pgoutput')",
      );
      expect(r.stderr).toContain(
        "ALTER SYSTEM SET output_plugin_libraries = 'pgoutput, wal2json';",
      );
      expect(r.code).toBe(1);
      const sync = await runTap(['--config', config, '--catalog', catalog]);
      expect(sync.stdout).toBe('');
      expect(sync.stderr).toMatch(/^CRITICAL .*output_plugin_libraries/m);
      expect(sync.code).toBe(1);
    } finally {
      await db.drop();
    }
  });
});
