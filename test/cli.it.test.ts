import { CHOICE_OPTIONS } from '../src/cli/choice-options';
import { freePort } from '../src/embedded/embedded-server';
import { runTap, spawnTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

const MARKER = 'Marker-Pw-7f3a9c';

/** A failure as the contract wants it: exit code, one line on stderr, nothing on stdout. */
function expectCleanFailure(
  r: { code: number; stdout: string; stderrLines: string[] },
  code: number,
  message: RegExp,
) {
  expect(r.stdout).toBe('');
  expect(r.code).toBe(code);
  const critical = r.stderrLines.filter((l) => l.startsWith('CRITICAL'));
  expect(critical).toHaveLength(1);
  expect(critical[0]).toMatch(message);
  expect(r.stderrLines.join('\n')).not.toMatch(/\n\s+at /); // no stack trace
}

describe('command line', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let goodConfig: string;

  beforeAll(async () => {
    db = await createTestDatabase('cli');
    await db.query('CREATE TABLE public.things (id int PRIMARY KEY, name text)');
    goodConfig = files.write('config.json', db.config);
  });
  afterAll(async () => {
    await db.drop();
  });

  describe('modes that need no database', () => {
    it('--help prints usage on stdout and exits 0', async () => {
      const r = await runTap(['--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/--discover/);
      expect(r.stdout).toMatch(/--catalog/);
      expect(r.stdout).toMatch(/Exit codes/);
    });

    it('--version prints the package version', async () => {
      const r = await runTap(['--version']);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    });

    it('--about prints capabilities and the config schema as settings', async () => {
      const r = await runTap(['--about']);
      expect(r.code).toBe(0);
      const about = JSON.parse(r.stdout);
      expect(about.name).toBe('tap-postgres');
      expect(about.capabilities).toEqual(
        expect.arrayContaining([
          'catalog',
          'discover',
          'state',
          'about',
          'activate-version',
          'log-based',
          'test',
        ]),
      );
      // No schema default: Meltano would pass it, hiding sqlalchemy_url's and PGPORT's port.
      expect(about.settings.properties.port.default).toBeUndefined();
      expect(about.settings.properties.port.description).toMatch(/default 5432/);
      expect(about.settings.properties.dbname).toBeDefined();
    });

    it('--about --format markdown prints a settings table', async () => {
      const r = await runTap(['--about', '--format', 'markdown']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^# `tap-postgres`/);
      expect(r.stdout).toMatch(/\| batch_fetch_limit \| integer or string \| `50000` \|/);
    });
  });

  describe('bad usage exits 2 with one line and no output', () => {
    it.each([
      [
        'an unknown flag',
        ['--config', 'x.json', '--discover', '--frobnicate'],
        /Unknown argument: frobnicate/,
      ],
      [
        '--discover with --catalog',
        ['--config', 'c.json', '--discover', '--catalog', 'k.json'],
        /--discover cannot be combined with --catalog/,
      ],
      ['no mode', ['--config', 'c.json'], /nothing to do/],
      ['no config', ['--discover'], /missing --config/],
      [
        '--catalog twice',
        ['--config', 'c.json', '--catalog', 'a', '--catalog', 'b'],
        /--catalog may be given only once/,
      ],
      [
        '--catalog and --properties',
        ['--config', 'c.json', '--catalog', 'a', '--properties', 'b'],
        /not both/,
      ],
      [
        '--test with a bad value',
        ['--config', 'c.json', '--catalog', 'a', '--test=rows'],
        /--test takes no value or =schema/,
      ],
      [
        '--format without --about',
        ['--config', 'c.json', '--discover', '--format', 'json'],
        /--format only applies/,
      ],
      [
        '--log-level without a value',
        ['--config', 'c.json', '--discover', '--log-level'],
        /Not enough arguments following: log-level/,
      ],
    ])('%s', async (_name, argv, message) => {
      expectCleanFailure(await runTap(argv), 2, message);
    });

    it.each([
      [['--about', '--format', 'yaml'], "--format: 'yaml' is not one of json, markdown"],
      [
        ['--config', 'c.json', '--discover', '--log-level', 'trace'],
        "--log-level: 'trace' is not one of debug, info, warn, error",
      ],
      [
        ['--config', 'c.json', '--discover', '--log-format=xml'],
        "--log-format: 'xml' is not one of text, json",
      ],
    ])(
      'a value outside the choices: %j names the flag, the value and the choices',
      async (argv, line) => {
        const r = await runTap(argv);
        expectCleanFailure(r, 2, /./);
        expect(r.stderrLines).toEqual([`CRITICAL ${line} (see --help)`]);
      },
    );

    it('every flag with choices is checked and --help lists its choices', async () => {
      const help = (await runTap(['--help'])).stdout.replace(/\s+/g, ' ');
      for (const [flag, choices] of Object.entries(CHOICE_OPTIONS)) {
        expect(help).toContain(`one of ${choices.join(', ')}`);
        const argv = flag === 'format' ? ['--about'] : ['--config', 'c.json', '--discover'];
        const r = await runTap([...argv, `--${flag}`, 'nonsense']);
        expect(r.code).toBe(2);
        expect(r.stderrLines).toEqual([
          `CRITICAL --${flag}: 'nonsense' is not one of ${choices.join(', ')} (see --help)`,
        ]);
      }
    });
  });

  describe('bad config exits 2 naming the file and key', () => {
    it('a missing config file', async () => {
      expectCleanFailure(
        await runTap(['--config', '/nonexistent/config.json', '--discover']),
        2,
        /config file \/nonexistent\/config.json: file not found/,
      );
    });

    it('a config file that is not JSON', async () => {
      const p = files.write('bad.json', '{"host": "x",');
      expectCleanFailure(
        await runTap(['--config', p, '--discover']),
        2,
        /config file .*bad.json is not valid JSON/,
      );
    });

    it('a config that is not an object', async () => {
      const p = files.write('array.json', '[1,2]');
      expectCleanFailure(await runTap(['--config', p, '--discover']), 2, /must be a JSON object/);
    });

    it.each([
      ['port "abc"', { port: 'abc' }, /'port' has an invalid value/],
      ['host of the wrong type', { host: 5 }, /'host' must be string/],
      ['a bad sslmode', { sslmode: 'sometimes' }, /'sslmode' must be one of/],
      [
        'a bad decoding plugin',
        { logical_decoding_plugin: 'test_decoding' },
        /'logical_decoding_plugin' must be one of "pgoutput", "wal2json"/,
      ],
      [
        'filter_schemas of numbers',
        { filter_schemas: [1] },
        /'filter_schemas\[0\]' must be string/,
      ],
    ])('%s', async (_name, patch, message) => {
      const p = files.write('patched.json', { ...db.config, ...patch });
      expectCleanFailure(await runTap(['--config', p, '--discover']), 2, message);
    });

    it('a missing database', async () => {
      const { dbname: _d, ...rest } = db.config;
      const p = files.write('nodb.json', rest);
      expectCleanFailure(
        await runTap(['--config', p, '--discover']),
        2,
        /missing required key 'database' \(or its alias 'dbname'\)/,
      );
    });
  });

  describe('connection failures exit 1 and never print the password', () => {
    it('an unreachable host', async () => {
      const port = await freePort();
      const p = files.write('unreachable.json', {
        ...db.config,
        host: '127.0.0.1',
        port,
        password: MARKER,
      });
      const r = await runTap(['--config', p, '--discover']);
      expectCleanFailure(r, 1, /connection refused at 127.0.0.1:\d+/);
      expect(r.stderr).not.toContain(MARKER);
    });

    it('a wrong password', async () => {
      await db.query(`DROP ROLE IF EXISTS marker_role`);
      await db.query(`CREATE ROLE marker_role LOGIN PASSWORD '${MARKER}-right'`);
      const p = files.write('wrongpw.json', {
        ...db.config,
        user: 'marker_role',
        password: MARKER,
      });
      const r = await runTap(['--config', p, '--discover']);
      expectCleanFailure(r, 1, /password authentication failed for user 'marker_role'/);
      expect(r.stderr).not.toContain(MARKER);
    });

    it('a database that does not exist', async () => {
      const p = files.write('nodatabase.json', { ...db.config, dbname: 'no_such_db_here' });
      expectCleanFailure(
        await runTap(['--config', p, '--discover']),
        1,
        /database 'no_such_db_here' does not exist/,
      );
    });
  });

  describe('config sources', () => {
    it('merges repeated --config files left to right', async () => {
      const a = files.write('a.json', { ...db.config, dbname: 'no_such_db_here' });
      const b = files.write('b.json', { dbname: db.name });
      const r = await runTap(['--config', a, '--config', b, '--discover']);
      expect(r.code).toBe(0);
      expect(
        JSON.parse(r.stdout).streams.map((s: { tap_stream_id: string }) => s.tap_stream_id),
      ).toContain('public-things');
    });

    it('reads TAP_POSTGRES_<KEY> variables with --config ENV', async () => {
      const r = await runTap(['--config', 'ENV', '--discover'], {
        TAP_POSTGRES_HOST: db.config.host,
        TAP_POSTGRES_PORT: String(db.config.port),
        TAP_POSTGRES_DATABASE: db.name,
        TAP_POSTGRES_USERNAME: db.config.user,
        TAP_POSTGRES_PASSWORD: db.config.password,
        TAP_POSTGRES_FILTER_SCHEMAS: 'public',
      });
      expect(r.stderr).toMatch(/discovered 1 streams/);
      expect(r.code).toBe(0);
    });

    it('warns about unknown keys but goes on', async () => {
      const p = files.write('extra.json', {
        ...db.config,
        frobnicate: 1,
        start_date: '2020-01-01',
      });
      const r = await runTap(['--config', p, '--discover']);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/WARN config key 'frobnicate' is not a tap-postgres setting/);
      expect(r.stderr).not.toMatch(/start_date/);
    });
  });

  describe('modes of later releases', () => {
    it('LOG_BASED without a publication fails before anything is emitted, saying how to fix it', async () => {
      const k = files.write('catalog.json', {
        streams: [
          {
            tap_stream_id: 'public-things',
            schema: { properties: { id: { type: 'integer' } } },
            metadata: [
              { breadcrumb: [], metadata: { selected: true, 'replication-method': 'LOG_BASED' } },
            ],
          },
        ],
      });
      expectCleanFailure(
        await runTap(['--config', goodConfig, '--catalog', k]),
        1,
        /publication 'tap_postgres' does not exist: run `CREATE PUBLICATION "tap_postgres" FOR TABLE "public"."things";`/,
      );
    });

    it('--check (the binary): a report on stderr, nothing on stdout; exit 0 ready, 1 not', async () => {
      const ready = await spawnTap(['--config', goodConfig, '--check']);
      expect(ready.stdout).toBe('');
      expect(ready.stderrLines).toContainEqual(expect.stringMatching(/^ {2}✓ PostgreSQL \d+/));
      expect(ready.stderrLines.at(-1)).toMatch(/^READY/);
      expect(ready.code).toBe(0);
      const k = files.write('check-catalog.json', {
        streams: [
          {
            tap_stream_id: 'public-things',
            schema: { properties: { id: { type: 'integer' } } },
            metadata: [
              { breadcrumb: [], metadata: { selected: true, 'replication-method': 'LOG_BASED' } },
            ],
          },
        ],
      });
      const notReady = await spawnTap(['--config', goodConfig, '--catalog', k, '--check']);
      expect(notReady.stdout).toBe('');
      expect(notReady.stderr).toContain(
        `✗ publication 'tap_postgres' does not exist — fix: CREATE PUBLICATION "tap_postgres" FOR TABLE "public"."things";`,
      );
      expect(notReady.code).toBe(1);
    });
  });

  describe('the installed binary', () => {
    it('discovers, with the catalog alone on stdout', async () => {
      const r = await spawnTap(['--config', goodConfig, '--discover']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).streams).toHaveLength(1);
      expect(r.stderrLines.every((l) => /^(INFO|WARN|DEBUG) /.test(l))).toBe(true);
    });

    it('exits 2 on bad usage and 1 on a runtime failure', async () => {
      expect((await spawnTap(['--nope'])).code).toBe(2);
      const port = await freePort();
      const p = files.write('refused.json', { ...db.config, host: '127.0.0.1', port });
      const r = await spawnTap(['--config', p, '--discover']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
    });

    it('shows a stack trace only when TAP_POSTGRES_DEBUG is set', async () => {
      const r = await spawnTap(['--config', '/nonexistent.json', '--discover'], {
        TAP_POSTGRES_DEBUG: '1',
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\n\s+at /);
    });
  });
});
