/**
 * The `many_tables` part of `npm run bench`: FULL_TABLE of many small tables, where the cost per
 * table (catalog queries, SCHEMA, STATE) matters more than the cost per row. Its baseline is one
 * psql session running a COPY of each table, which pays one round trip per table and nothing else.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { catalogFor, median, peakRss, type Catalog } from './bench-support';

export interface ManyTablesOptions {
  readonly url: string;
  /** The built executable. */
  readonly bin: string;
  /** Connection settings of the tap's config (host, port, user, …). */
  readonly baseConfig: Readonly<Record<string, unknown>>;
  readonly dir: string;
  readonly tables: number;
  readonly rowsPerTable: number;
  readonly repeat: number;
  readonly log: (line: string) => void;
}

export interface ManyTablesFigures {
  readonly tapSeconds: number;
  readonly psqlSeconds: number;
  readonly tapPeakRssMb: number;
  readonly stateBytes: number;
  readonly stateMessages: number;
}

const SCHEMA = 'bench_many';

interface TapRun {
  seconds: number;
  peakRssMb: number;
  stateBytes: number;
  stateMessages: number;
  records: number;
}

/**
 * One tap run. With `countState`, stdout is piped here and the STATE lines' bytes are summed (that
 * reading costs this process CPU, so such a run is not timed against psql); otherwise stdout is
 * /dev/null, as psql's is.
 */
function runTap(bin: string, args: string[], countState: boolean): Promise<TapRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const devNull = countState ? undefined : openSync('/dev/null', 'w');
    const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeFlags, bin, ...args], {
      stdio: ['ignore', devNull ?? 'pipe', 'pipe'],
    });
    if (devNull !== undefined) closeSync(devNull);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
    let stateBytes = 0;
    let stateMessages = 0;
    let records = 0;
    let partial = '';
    child.stdout?.on('data', (c: Buffer) => {
      const lines = (partial + c.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const l of lines) {
        if (l.startsWith('{"type":"RECORD"')) records += 1;
        if (!l.startsWith('{"type":"STATE"')) continue;
        stateBytes += Buffer.byteLength(l) + 1;
        stateMessages += 1;
      }
    });
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, peakRss(child.pid!))), 50);
    child.on('error', reject);
    child.on('exit', () => (peak = Math.max(peak, peakRss(child.pid!))));
    child.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`tap exited ${code}: ${stderr.trim()}`));
      resolve({
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        peakRssMb: peak,
        stateBytes,
        stateMessages,
        records,
      });
    });
  });
}

/** Every table COPYed to /dev/null by one psql session (a script of COPY statements). */
async function psqlBaseline(url: string, script: string, tables: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  if (spawnSync('which', ['psql']).status === 0) {
    const r = spawnSync('sh', ['-c', `psql "${url}" -qAt -f "${script}" > /dev/null`]);
    if (r.status !== 0) throw new Error(`psql COPY failed: ${r.stderr.toString()}`);
  } else {
    const c = new Client({ connectionString: url });
    await c.connect();
    for (const t of tables)
      for await (const chunk of c.query(copyTo(`COPY ${t} TO STDOUT`))) void chunk;
    await c.end();
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * Drops the tables in slices first: one DROP SCHEMA … CASCADE of 10,000 tables needs more locks
 * than a default server's lock table holds.
 */
async function dropSchema(url: string, tables: number): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  for (let from = 1; from <= tables; from += 500) {
    await db.query(
      `DO $$ BEGIN FOR i IN ${from}..${from + 499} LOOP
         EXECUTE format('DROP TABLE IF EXISTS ${SCHEMA}.t%s', i);
       END LOOP; END $$`,
    );
  }
  await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await db.end();
}

export async function benchManyTables(o: ManyTablesOptions): Promise<ManyTablesFigures> {
  o.log(`many_tables: ${o.tables} tables of ${o.rowsPerTable} rows…`);
  // A previous run stopped half-way may have left its tables behind.
  await dropSchema(o.url, o.tables);
  const db = new Client({ connectionString: o.url });
  await db.connect();
  await db.query(`CREATE SCHEMA ${SCHEMA}`);
  // In slices of 500 tables: one DO block for 10,000 would hold as many locks in one transaction.
  for (let from = 1; from <= o.tables; from += 500) {
    await db.query(
      `DO $$ BEGIN FOR i IN ${from}..${Math.min(o.tables, from + 499)} LOOP
         EXECUTE format('CREATE TABLE ${SCHEMA}.t%s (id bigint PRIMARY KEY, label text, amount numeric(12,2), at timestamptz)', i);
         EXECUTE format('INSERT INTO ${SCHEMA}.t%s SELECT g, ''label '' || g, g / 100.0, TIMESTAMPTZ ''2024-01-01'' + g * interval ''1 second'' FROM generate_series(1, ${o.rowsPerTable}) g', i);
       END LOOP; END $$`,
    );
  }
  await db.query(`VACUUM ANALYZE`);
  await db.end();

  const configPath = join(o.dir, 'many.json');
  writeFileSync(configPath, JSON.stringify({ ...o.baseConfig, filter_schemas: SCHEMA }));
  const discovered = spawnSync(process.execPath, [o.bin, '--config', configPath, '--discover'], {
    maxBuffer: 1 << 30,
  });
  if (discovered.status !== 0) throw new Error(`discovery failed: ${discovered.stderr.toString()}`);
  const catalog = catalogFor(
    JSON.parse(discovered.stdout.toString()) as Catalog,
    null,
    'FULL_TABLE',
  );
  if (catalog.streams.length !== o.tables)
    throw new Error(`many_tables: discovery found ${catalog.streams.length} streams`);
  const catalogPath = join(o.dir, 'many-catalog.json');
  writeFileSync(catalogPath, JSON.stringify(catalog));
  const tables = Array.from({ length: o.tables }, (_, i) => `${SCHEMA}.t${i + 1}`);
  const script = join(o.dir, 'many-copy.sql');
  writeFileSync(script, tables.map((t) => `COPY ${t} TO STDOUT;\n`).join(''));

  const args = ['--config', configPath, '--catalog', catalogPath];
  const tap: TapRun[] = [];
  const psql: number[] = [];
  for (let i = 0; i < o.repeat; i++) {
    psql.push(await psqlBaseline(o.url, script, tables));
    tap.push(await runTap(o.bin, args, false));
    o.log(
      `  many_tables run ${i + 1}: psql ${psql[i]!.toFixed(2)} s, tap ${tap[i]!.seconds.toFixed(2)} s`,
    );
  }
  const counted = await runTap(o.bin, args, true);
  if (counted.records !== o.tables * o.rowsPerTable)
    throw new Error(
      `many_tables: ${counted.records} records, expected ${o.tables * o.rowsPerTable}`,
    );
  await dropSchema(o.url, o.tables);
  return {
    tapSeconds: median(tap.map((t) => t.seconds)),
    psqlSeconds: median(psql),
    tapPeakRssMb: median(tap.map((t) => t.peakRssMb)),
    stateBytes: counted.stateBytes,
    stateMessages: counted.stateMessages,
  };
}
