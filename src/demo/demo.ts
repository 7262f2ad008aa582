import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from 'pg';
import { main } from '../cli/main';
import { startEmbeddedServer } from '../embedded/embedded-server';
import { DEMO_SCHEMA_SQL } from './demo-schema';

/**
 * `npm run demo`: starts an embedded PostgreSQL (wal_level=logical), creates a small shop schema,
 * and runs the tap against it. Nothing to install or configure beforehand.
 */
async function demo(): Promise<void> {
  console.log('Starting an embedded PostgreSQL (wal_level=logical)…');
  const server = await startEmbeddedServer();
  try {
    const admin = new Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE demo');
    await admin.end();
    const url = new URL(server.url);
    url.pathname = '/demo';
    const db = new Client({ connectionString: url.toString() });
    await db.connect();
    await db.query(DEMO_SCHEMA_SQL);
    await db.end();

    const dir = mkdtempSync(join(tmpdir(), 'tap-postgres-demo-'));
    const configPath = join(dir, 'config.json');
    const config = {
      host: '127.0.0.1',
      port: server.port,
      user: server.user,
      password: server.password,
      dbname: 'demo',
      filter_schemas: 'shop',
    };
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    console.log(`Config written to ${configPath}`);

    console.log(
      `\n$ tap-postgres --config ${configPath} --discover > ${join(dir, 'catalog.json')}`,
    );
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const code = await main(['--config', configPath, '--discover'], {
      stdout: out,
      stderr: (l) => console.error(`  ${l}`),
      env: process.env,
    });
    if (code !== 0) throw new Error(`discovery exited ${code}`);
    const catalogText = Buffer.concat(chunks).toString('utf8');
    writeFileSync(join(dir, 'catalog.json'), catalogText);
    const catalog = JSON.parse(catalogText) as {
      streams: Array<{
        tap_stream_id: string;
        schema: { properties: Record<string, unknown> };
        metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
      }>;
    };
    console.log('\nStreams discovered:');
    for (const s of catalog.streams) {
      const root = s.metadata.find((m) => m.breadcrumb.length === 0)?.metadata ?? {};
      const cols = s.metadata
        .filter((m) => m.breadcrumb.length === 2)
        .map((m) => `${m.breadcrumb[1]} ${String(m.metadata['sql-datatype'])}`);
      console.log(
        `  ${s.tap_stream_id.padEnd(20)} key=${JSON.stringify(root['table-key-properties'])} rows≈${String(root['row-count'])}${root['is-view'] ? ' (view)' : ''}`,
      );
      console.log(`      ${cols.join(', ')}`);
    }
    console.log(`\nThe full catalog is in ${join(dir, 'catalog.json')}.`);
  } finally {
    await server.stop();
  }
}

demo().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
