import { Client } from 'pg';
import { runTap, tempFiles } from './support/run-tap';

/** A server of its own, because the shared test server must keep wal_level=logical. */
describe('LOG_BASED on a server without logical decoding', () => {
  it('exits 1 before any output, with the setting that fixes it', async () => {
    const url = process.env.TAP_POSTGRES_TEST_REPLICA_URL;
    if (!url) return; // started by global-setup with the embedded server only
    const u = new URL(url);
    const c = new Client({ connectionString: url });
    await c.connect();
    await c.query(
      'CREATE TABLE t (id int PRIMARY KEY); CREATE PUBLICATION tap_postgres FOR TABLE t',
    );
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
          tap_stream_id: 'public-t',
          schema: { properties: { id: { type: 'integer' } } },
          metadata: [
            {
              breadcrumb: [],
              metadata: {
                selected: true,
                'replication-method': 'LOG_BASED',
                'table-key-properties': ['id'],
              },
            },
          ],
        },
      ],
    });
    const r = await runTap(['--config', config, '--catalog', catalog]);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /wal_level is 'replica', LOG_BASED needs 'logical': run `ALTER SYSTEM SET wal_level = logical;` and restart PostgreSQL/,
    );
  });
});
