import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from 'pg';
import { main } from '../cli/main';
import { startEmbeddedServer } from '../embedded/embedded-server';
import { DEMO_SCHEMA_SQL } from './demo-schema';
import { summarizeOutput, type OutputSummary } from './summarize-output';

/** One stream per replication method. */
const METHODS: Record<string, Record<string, unknown>> = {
  'shop-customers': { 'replication-method': 'FULL_TABLE' },
  'shop-orders': { 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' },
  'shop-products': { 'replication-method': 'LOG_BASED' },
};

const PUBLICATION_SQL = 'CREATE PUBLICATION tap_postgres FOR TABLE shop.products';

const CHANGES_SQL = `
INSERT INTO shop.orders (customer_id, total) VALUES (1, 10), (2, 20.5), (3, 30.25);
UPDATE shop.orders SET status = 'shipped', updated_at = now() WHERE id = 1;
INSERT INTO shop.products (title, price, tags) VALUES ('Demo lamp', 49.90, ARRAY['new']);
UPDATE shop.products SET price = price + 1 WHERE title = 'Product 1';
DELETE FROM shop.products WHERE title = 'Product 2';`;

interface Catalog {
  streams: Array<{
    tap_stream_id: string;
    metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
  }>;
}

/**
 * `npm run demo`: starts an embedded PostgreSQL (wal_level=logical), creates a small shop schema,
 * runs discover and a sync with one FULL_TABLE, one INCREMENTAL and one LOG_BASED stream, changes
 * some rows, syncs again from the state, prints what came out, and cleans up (slot, server).
 */
async function demo(): Promise<void> {
  console.log('Starting an embedded PostgreSQL (wal_level=logical)…');
  const server = await startEmbeddedServer();
  let db: Client | undefined;
  try {
    const admin = new Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE demo');
    await admin.end();
    const url = new URL(server.url);
    url.pathname = '/demo';
    db = new Client({ connectionString: url.toString() });
    await db.connect();
    await db.query(DEMO_SCHEMA_SQL);
    console.log(`Created the shop schema. LOG_BASED set-up:\n  ${PUBLICATION_SQL};`);
    await db.query(PUBLICATION_SQL);

    const dir = mkdtempSync(join(tmpdir(), 'tap-postgres-demo-'));
    const configPath = join(dir, 'config.json');
    const config = {
      host: '127.0.0.1',
      port: server.port,
      user: server.user,
      password: server.password,
      dbname: 'demo',
      filter_schemas: 'shop',
      replication_slot: 'tap_postgres_demo',
      logical_poll_total_seconds: 5,
    };
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    console.log(`Config written to ${configPath}`);

    const catalogPath = join(dir, 'catalog.json');
    console.log(`\n$ tap-postgres --config ${configPath} --discover > ${catalogPath}`);
    const catalogText = await tap(['--config', configPath, '--discover']);
    writeFileSync(catalogPath, catalogText);
    const catalog = JSON.parse(catalogText) as Catalog;
    printStreams(catalog);

    for (const s of catalog.streams) {
      const root = s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
      if (METHODS[s.tap_stream_id])
        Object.assign(root, { selected: true }, METHODS[s.tap_stream_id]);
    }
    const selectedPath = join(dir, 'catalog.selected.json');
    writeFileSync(selectedPath, JSON.stringify(catalog, null, 2));
    console.log(
      `\nSelected: ${Object.entries(METHODS)
        .map(([id, m]) => `${id} (${String(m['replication-method'])})`)
        .join(', ')}`,
    );

    const statePath = join(dir, 'state.json');
    console.log(
      `\n$ tap-postgres --config ${configPath} --catalog ${selectedPath} --state-out ${statePath} > ${join(dir, 'run1.jsonl')}`,
    );
    const first = await tap([
      '--config',
      configPath,
      '--catalog',
      selectedPath,
      '--state-out',
      statePath,
    ]);
    writeFileSync(join(dir, 'run1.jsonl'), first);
    printSummary('run 1', summarizeOutput(first));

    console.log(`\nChanging data:${CHANGES_SQL.replace(/\n/g, '\n  ')}`);
    await db.query(CHANGES_SQL);

    console.log(
      `\n$ tap-postgres --config ${configPath} --catalog ${selectedPath} --state ${statePath} --state-out ${statePath} > ${join(dir, 'run2.jsonl')}`,
    );
    const second = await tap([
      '--config',
      configPath,
      '--catalog',
      selectedPath,
      '--state',
      statePath,
      '--state-out',
      statePath,
    ]);
    writeFileSync(join(dir, 'run2.jsonl'), second);
    const run2 = summarizeOutput(second);
    printSummary('run 2', run2);
    for (const r of run2.records.filter((x) => x.stream === 'shop-products'))
      console.log(`  shop-products change: ${JSON.stringify(r.record)}`);
    console.log(`\nFinal STATE (${statePath}):\n${JSON.stringify(run2.lastState, null, 2)}`);
    console.log(`Output files are in ${dir}.`);

    await db.query(`SELECT pg_drop_replication_slot('tap_postgres_demo')`);
    await db.query('DROP PUBLICATION tap_postgres');
    console.log('\nCleaned up: replication slot tap_postgres_demo and publication dropped.');
  } finally {
    await db?.end().catch(() => {});
    await server.stop();
    console.log('Embedded PostgreSQL stopped.');
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

function printStreams(catalog: Catalog): void {
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
}

/** `run N: messages per stream and type` as a small table; the test reads these lines. */
function printSummary(label: string, s: OutputSummary): void {
  console.log(`\n${label}: messages per stream and type`);
  for (const [key, n] of s.counts) console.log(`  ${String(n).padStart(6)}  ${key}`);
}

demo().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
