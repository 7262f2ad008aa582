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
    const catalogText = await tap(['--config', configPath, '--discover']);
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

    // Select two streams: customers as FULL_TABLE, orders as INCREMENTAL on updated_at.
    const methods: Record<string, Record<string, unknown>> = {
      'shop-customers': { 'replication-method': 'FULL_TABLE' },
      'shop-orders': { 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' },
    };
    for (const s of catalog.streams) {
      const root = s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
      if (methods[s.tap_stream_id])
        Object.assign(root, { selected: true }, methods[s.tap_stream_id]);
    }
    const selectedPath = join(dir, 'catalog.selected.json');
    writeFileSync(selectedPath, JSON.stringify(catalog, null, 2));
    const outPath = join(dir, 'out.jsonl');
    console.log(`\n$ tap-postgres --config ${configPath} --catalog ${selectedPath} > ${outPath}`);
    const first = await tap(['--config', configPath, '--catalog', selectedPath]);
    writeFileSync(outPath, first);
    const state = summarize(first);

    console.log('\nChanging data: 3 new orders, 1 updated order…');
    const db2 = new Client({ connectionString: url.toString() });
    await db2.connect();
    await db2.query(
      `INSERT INTO shop.orders (customer_id, total) VALUES (1, 10), (2, 20.5), (3, 30.25);
       UPDATE shop.orders SET status = 'shipped', updated_at = now() WHERE id = 1`,
    );
    await db2.end();
    const statePath = join(dir, 'state.json');
    writeFileSync(statePath, JSON.stringify(state, null, 2));
    console.log(
      `\n$ tap-postgres --config ${configPath} --catalog ${selectedPath} --state ${statePath}`,
    );
    summarize(await tap(['--config', configPath, '--catalog', selectedPath, '--state', statePath]));
  } finally {
    await server.stop();
  }
}

/** Runs the tap in-process (as bin/ would) and returns its stdout. */
async function tap(argv: string[]): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const code = await main(argv, {
    stdout: out,
    stderr: (l) => console.error(`  ${l}`),
    env: process.env,
  });
  if (code !== 0) throw new Error(`tap-postgres exited ${code}`);
  return Buffer.concat(chunks).toString('utf8');
}

/** Prints message counts per stream and the last STATE; returns that STATE's value. */
function summarize(stdout: string): unknown {
  const counts = new Map<string, number>();
  let state: unknown = null;
  for (const line of stdout.split('\n').filter(Boolean)) {
    const m = JSON.parse(line) as { type: string; stream?: string; value?: unknown };
    const key = `${m.type}${m.stream ? ` ${m.stream}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (m.type === 'STATE') state = m.value;
  }
  for (const [k, n] of counts) console.log(`  ${String(n).padStart(6)}  ${k}`);
  console.log(`  last STATE: ${JSON.stringify(state)}`);
  return state;
}

demo().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
