import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/*
 * Connection settings from libpq's environment variables and from sqlalchemy_url, against a real
 * server: the precedence itself is unit-tested (src/config/connection-sources.test.ts); here a
 * run connects with what each source gave, and says where each setting came from.
 */
describe('connection settings from PG* variables and sqlalchemy_url', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let pgEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    db = await createTestDatabase('connsrc');
    await db.query(`CREATE TABLE t (id int PRIMARY KEY)`);
    pgEnv = {
      PGHOST: db.config.host,
      PGPORT: String(db.config.port),
      PGDATABASE: db.config.dbname,
      PGUSER: db.config.user,
      PGPASSWORD: db.config.password,
    };
  });
  afterAll(async () => {
    await db.drop();
  });

  const streams = (stdout: string) =>
    (JSON.parse(stdout) as { streams: Array<{ tap_stream_id: string }> }).streams.map(
      (s) => s.tap_stream_id,
    );

  it('PG* variables alone: no connection key in the config', async () => {
    const r = await runTap(['--config', files.write('empty.json', {}), '--discover'], pgEnv);
    expect(r.stderr).not.toMatch(/CRITICAL|WARN/);
    expect(r.code).toBe(0);
    expect(streams(r.stdout)).toEqual(['public-t']);
    expect(r.stderrLines).toContain(
      'INFO connection settings: host (PGHOST), port (PGPORT), database (PGDATABASE), username (PGUSER), password (PGPASSWORD) from the environment; sslmode from defaults',
    );
    expect(r.stderr).not.toContain(db.config.password);
  });

  it('a URL without password, the password from PGPASSWORD; a config key over both', async () => {
    const url = `postgresql+psycopg2://${encodeURIComponent(db.config.user)}@${db.config.host}:${db.config.port}/no_such_db?application_name=x`;
    const r = await runTap(
      [
        '--config',
        files.write('url.json', { sqlalchemy_url: url, database: db.config.dbname }),
        '--discover',
      ],
      { PGPASSWORD: db.config.password, PGDATABASE: 'neither_this' },
    );
    expect(r.code).toBe(0);
    expect(streams(r.stdout)).toEqual(['public-t']);
    expect(r.stderrLines).toContain(
      'INFO connection settings: database from the config; host, port, username from sqlalchemy_url; password (PGPASSWORD) from the environment; sslmode from defaults',
    );
    expect(r.stderr).toMatch(/sqlalchemy_url: parameter 'application_name' has no meaning/);
    expect(r.stderr).not.toContain(db.config.password);
  });

  it('no database from any source: exit 2, saying where one may come from', async () => {
    const r = await runTap(['--config', files.write('nodb.json', { user: 'u' }), '--discover']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /missing required key 'database' \(or its alias 'dbname'\): give it, a database in sqlalchemy_url, or PGDATABASE$/,
    );
  });
});
