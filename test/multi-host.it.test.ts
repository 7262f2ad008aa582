import { Client } from 'pg';
import { freePort } from '../src/embedded/embedded-server';
import { parseMessages, records, selectStreams } from './support/catalog-helpers';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * A host list, as libpq reads it: the run settles on the first server target_session_attrs
 * accepts. Two real servers: the suite's own, and its second server (wal_level=replica) whose
 * database of the same name is read-only (default_transaction_read_only), standing in for a
 * server that refuses writes. The standby cases are in the failover tests.
 */
describe('a host list', () => {
  const otherUrl = process.env.TAP_POSTGRES_TEST_REPLICA_URL;
  const maybe = otherUrl ? it : it.skip;
  const files = tempFiles();
  let db: TestDatabase;
  let other: URL;
  let deadPort: number;

  beforeAll(async () => {
    db = await createTestDatabase('hosts');
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, side text);
      INSERT INTO items VALUES (1, 'main')`);
    deadPort = await freePort();
    if (!otherUrl) return;
    other = new URL(otherUrl);
    const c = new Client({ connectionString: otherUrl });
    await c.connect();
    await c.query(`CREATE DATABASE "${db.name}"`);
    await c.query(`ALTER DATABASE "${db.name}" SET default_transaction_read_only = on`);
    await c.end();
    const u = new URL(otherUrl);
    u.pathname = `/${db.name}`;
    const c2 = new Client({ connectionString: u.toString() });
    await c2.connect();
    await c2.query(`BEGIN READ WRITE; CREATE TABLE items (id int PRIMARY KEY, side text);
      INSERT INTO items VALUES (1, 'other'); COMMIT`);
    await c2.end();
  });
  afterAll(async () => {
    await db?.drop();
    if (otherUrl) {
      const c = new Client({ connectionString: otherUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`);
      await c.end();
    }
  });

  const config = (patch: Record<string, unknown>) =>
    files.write(`config-${Math.random()}.json`, { ...db.config, ...patch });

  /** Which server a FULL_TABLE sync read: its row says. */
  async function sideRead(patch: Record<string, unknown>) {
    const c = config(patch);
    const discovered = await runTap(['--config', c, '--discover']);
    expect(discovered.code).toBe(0);
    const catalog = files.write(
      `catalog-${Math.random()}.json`,
      selectStreams(JSON.parse(discovered.stdout), { 'public-items': { method: 'FULL_TABLE' } }),
    );
    const r = await runTap(['--config', c, '--catalog', catalog]);
    expect(r.code).toBe(0);
    return { side: records(parseMessages(r.stdout), 'public-items')[0]?.side, log: r.stderr };
  }

  it('skips a server that does not answer and says where it connected', async () => {
    const r = await sideRead({
      host: `127.0.0.1,${db.config.host}`,
      port: `${deadPort},${db.config.port}`,
    });
    expect(r.side).toBe('main');
    expect(r.log).toContain(`connected to ${db.config.host}:${db.config.port}, the primary`);
  });

  maybe('read-write (the default for a list) passes over a read-only server', async () => {
    const r = await sideRead({
      host: [other.hostname, db.config.host],
      port: `${other.port},${db.config.port}`,
    });
    expect(r.side).toBe('main');
  });

  maybe('read-only and any take the first server that fits', async () => {
    const hosts = {
      host: `${db.config.host},${other.hostname}`,
      port: `${db.config.port},${other.port}`,
    };
    expect((await sideRead({ ...hosts, target_session_attrs: 'read-only' })).side).toBe('other');
    expect((await sideRead({ ...hosts, target_session_attrs: 'any' })).side).toBe('main');
    // No standby here: prefer-standby falls back to the first server.
    expect((await sideRead({ ...hosts, target_session_attrs: 'prefer-standby' })).side).toBe(
      'main',
    );
  });

  maybe('no server fits: one line naming each server and what it is, exit 1', async () => {
    const r = await runTap([
      '--config',
      config({
        host: `${db.config.host},${other.hostname},127.0.0.1`,
        port: `${db.config.port},${other.port},${deadPort}`,
        target_session_attrs: 'standby',
      }),
      '--discover',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const line = r.stderrLines.find((l) => l.startsWith('CRITICAL'))!;
    expect(line).toMatch(/no server of the host list is standby \(target_session_attrs\)/);
    expect(line).toContain(`${db.config.host}:${db.config.port} is the primary`);
    expect(line).toContain(`${other.hostname}:${other.port} is a read-only primary`);
    expect(line).toMatch(
      new RegExp(`127.0.0.1:${deadPort}: cannot connect to PostgreSQL: connection refused`),
    );
  });

  it("a connection URL with libpq's host list (sqlalchemy_url), its password never logged", async () => {
    const { host, port, user, password, dbname } = db.config;
    const url = `postgresql+psycopg2://${user}:${encodeURIComponent(password)}@127.0.0.1:${deadPort},${host}:${port}/${dbname}?target_session_attrs=read-write&application_name=x`;
    const c = files.write(`url-${Math.random()}.json`, { sqlalchemy_url: url });
    const r = await runTap(['--config', c, '--discover', '--log-level', 'debug']);
    expect(r.code).toBe(0);
    expect(
      JSON.parse(r.stdout).streams.map((s: { tap_stream_id: string }) => s.tap_stream_id),
    ).toContain('public-items');
    expect(r.stderr).toContain(`connected to ${host}:${port}, the primary`);
    expect(r.stderr).toMatch(/sqlalchemy_url: parameter 'application_name' has no meaning/);
    expect(r.stderr).not.toContain(password);
    // A key of the config wins over the URL's.
    const wrong = files.write(`url-${Math.random()}.json`, {
      sqlalchemy_url: url,
      dbname: 'no_such_database_here',
    });
    const w = await runTap(['--config', wrong, '--discover']);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/database 'no_such_database_here' does not exist/);
  });

  it('ports that do not pair with the hosts are a config error (exit 2)', async () => {
    const r = await runTap(['--config', config({ host: 'a,b,c', port: '1,2' }), '--discover']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/'port' lists 2 ports for 3 hosts/);
  });
});
