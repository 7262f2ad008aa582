/**
 * `npm run bench`: the tap against PostgreSQL's own limits, in one run, on one machine.
 *
 * Starts an embedded PostgreSQL (or uses TAP_POSTGRES_BENCH_URL), builds `narrow` and `wide` with
 * generate_series (bench/tables.ts) and measures, alternating and taking medians over
 * BENCH_REPEAT runs:
 * - FULL_TABLE of each table through the built tap (one connection, then snapshot_parallelism)
 *   vs `COPY … TO STDOUT` through psql (or a raw COPY reader): rows/s and ratio, peak RSS;
 * - the same with a consumer that reads slowly: peak RSS;
 * - LOG_BASED over a change workload (single-row UPDATEs on narrow in transactions of 1,000,
 *   INSERTs into wide) vs pg_recvlogical with pgoutput on the same backlog: changes/s, peak RSS;
 * - LOG_BASED over one transaction updating every row of narrow: peak RSS;
 * - discovery of 1,000 tables of 20 columns;
 * - FULL_TABLE of many small tables (bench/many-tables.ts) vs one psql session COPYing each;
 * - INCREMENTAL's first run of narrow (replication key `id`, no state) vs FULL_TABLE of the same
 *   table on one connection: rows/s and ratio, peak RSS, peak RSS with a slow consumer.
 * - `maps`: FULL_TABLE of narrow with a stream map of 5 expressions vs without: rows/s and ratio,
 *   with the map worker (the default) and with every record mapped on the main thread.
 * - `batch` (not in the default parts): FULL_TABLE with batch_config (bench/batch.ts).
 * - `breakdown` (not in the default parts): FULL_TABLE's stages one by one (bench/breakdown.ts).
 * Sizes: BENCH_SCALE (default 1) scales every size; BENCH_ROWS, BENCH_WIDE_ROWS, BENCH_UPDATES,
 * BENCH_INSERTS, BENCH_BIG_TXN, BENCH_TABLES, BENCH_MANY_TABLES, BENCH_MANY_ROWS override one each
 * (0 skips that part); BENCH_PARTS (default `full_table,log_based,discovery,incremental,maps,many_tables`)
 * picks parts.
 * BENCH_PARALLELISM (default: available parallelism, at least 2), BENCH_BATCH (batch_fetch_limit),
 * BENCH_NODE_FLAGS (flags for the tap's node), BENCH_JSON=path writes every figure as JSON.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { startEmbeddedServer, type EmbeddedServer } from '../src/embedded/embedded-server';
import { benchBatch } from './batch';
import { catalogFor, cpuSeconds, median, peakRss, type Catalog } from './bench-support';
import { benchManyTables } from './many-tables';
import { runBreakdown, runStage, type StageFigure } from './breakdown';
import { NARROW_DDL, narrowInsert, NARROW_MAP, WIDE_DDL, wideInsert } from './tables';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const size = (name: string, full: number) =>
  Math.round(process.env[name] !== undefined ? Number(process.env[name]) : full * SCALE);
const NARROW_ROWS = size('BENCH_ROWS', 2_000_000);
const WIDE_ROWS = size('BENCH_WIDE_ROWS', 500_000);
const UPDATES = size('BENCH_UPDATES', 500_000);
const INSERTS = size('BENCH_INSERTS', 100_000);
const BIG_TXN = size('BENCH_BIG_TXN', 2_000_000);
const TABLES = size('BENCH_TABLES', 1_000);
/** many_tables: tables and rows per table (10,000 × 10 is the other case worth running). */
const MANY_TABLES = size('BENCH_MANY_TABLES', 1_000);
const MANY_ROWS = Math.max(1, size('BENCH_MANY_ROWS', 100));
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
/** Which parts run: full_table, log_based (with the big transaction), discovery, incremental, maps, many_tables. */
const PARTS = new Set(
  (process.env.BENCH_PARTS ?? 'full_table,log_based,discovery,incremental,maps,many_tables').split(
    ',',
  ),
);
const PARALLELISM = Number(process.env.BENCH_PARALLELISM ?? Math.max(2, availableParallelism()));
const BIN = join(__dirname, '..', '..', 'bin', 'tap-postgres.js');

interface Measure {
  seconds: number;
  records: number;
  peakRssMb: number;
  stderr: string;
  /** The last STATE line, when asked for. */
  lastState?: string;
  /** CPU seconds of the main thread and of the whole process (Linux, sampled until exit). */
  mainCpuSeconds: number;
  cpuSeconds: number;
}

const round = (x: number, digits = 0) => Number(x.toFixed(digits));
const log = (s: string) => console.error(s);

/**
 * Runs the tap; `slow` reads stdout in 16 KB sips with pauses, like a target that is behind.
 * `devNull` sends stdout to /dev/null, as the issue measures FULL_TABLE (a reader in this process
 * would take CPU from a 2-core machine that psql's COPY into /dev/null does not pay); records are
 * then counted from the tap's `record_count` METRIC lines.
 */
export function runTap(
  args: string[],
  opts: { slow?: boolean; keepState?: boolean; devNull?: boolean; env?: NodeJS.ProcessEnv } = {},
) {
  return new Promise<Measure>((resolve, reject) => {
    const started = process.hrtime.bigint();
    const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const devNull = opts.devNull ? openSync('/dev/null', 'w') : undefined;
    const child = spawn(process.execPath, [...nodeFlags, BIN, ...args], {
      stdio: ['ignore', devNull ?? 'pipe', 'pipe'],
      ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
    });
    if (devNull !== undefined) closeSync(devNull);
    let stderr = '';
    let stderrLine = '';
    let metricRecords = 0;
    child.stderr!.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      stderr = (stderr + text).slice(-4000);
      const lines = (stderrLine + text).split('\n');
      stderrLine = lines.pop()!;
      for (const l of lines) {
        const m = /METRIC: (\{.*\})/.exec(l);
        if (!m) continue;
        const point = JSON.parse(m[1]!) as { metric: string; value: number };
        if (point.metric === 'record_count') metricRecords += point.value;
      }
    });
    let peak = 0;
    let cpu = { main: 0, total: 0 };
    const timer = setInterval(() => {
      peak = Math.max(peak, peakRss(child.pid!));
      cpu = cpuSeconds(child.pid!) ?? cpu;
    }, 50);
    let records = 0;
    let tail = '';
    let partial = '';
    let lastState: string | undefined;
    const count = (chunk: Buffer) => {
      if (opts.keepState) {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop()!;
        for (const l of lines) if (l.startsWith('{"type":"STATE"')) lastState = l;
      }
      const text = tail + chunk.toString('latin1');
      let i = -1;
      while ((i = text.indexOf('{"type":"RECORD"', i + 1)) !== -1) records += 1;
      tail = text.slice(-15); // shorter than the marker: a match is never counted twice
    };
    const stdout = child.stdout;
    if (opts.slow && stdout) {
      stdout.on('readable', function sip() {
        const chunk = stdout.read(16 * 1024) as Buffer | null;
        if (!chunk) return;
        count(chunk);
        stdout.off('readable', sip);
        setTimeout(() => {
          stdout.on('readable', sip);
          sip();
        }, 1);
      });
    } else if (stdout) {
      stdout.on('data', count);
    }
    child.on('error', reject);
    child.on('exit', () => (peak = Math.max(peak, peakRss(child.pid!))));
    child.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`tap exited ${code}: ${stderr.trim()}`));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({
        seconds,
        records: devNull === undefined ? records : metricRecords,
        peakRssMb: peak,
        stderr,
        mainCpuSeconds: cpu.main,
        cpuSeconds: cpu.total,
        ...(lastState ? { lastState } : {}),
      });
    });
  });
}

const hasPsql = spawnSync('which', ['psql']).status === 0;
const hasRecvlogical = spawnSync('which', ['pg_recvlogical']).status === 0;

/** COPY of a whole table into nowhere: psql when present, else pg-copy-streams read raw. */
async function copyBaseline(url: string, table: string): Promise<number> {
  const started = process.hrtime.bigint();
  if (hasPsql) {
    const r = spawnSync('sh', [
      '-c',
      `psql "${url}" -qAt -c "COPY ${table} TO STDOUT" > /dev/null`,
    ]);
    if (r.status !== 0) throw new Error(`psql COPY failed: ${r.stderr.toString()}`);
  } else {
    const c = new Client({ connectionString: url });
    await c.connect();
    for await (const chunk of c.query(copyTo(`COPY ${table} TO STDOUT`))) void chunk;
    await c.end();
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** pg_recvlogical with pgoutput from `slot` up to `endLsn` into /dev/null (seconds). */
function recvlogicalBaseline(url: string, slot: string, endLsn: string): number | null {
  if (!hasRecvlogical) return null;
  const u = new URL(url);
  const started = process.hrtime.bigint();
  const r = spawnSync(
    'pg_recvlogical',
    [
      '-d',
      url,
      '--slot',
      slot,
      '--start',
      '--endpos',
      endLsn,
      '-o',
      'proto_version=1',
      '-o',
      'publication_names=tap_postgres',
      '-f',
      '/dev/null',
      '--no-loop',
    ],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } },
  );
  if (r.status !== 0) throw new Error(`pg_recvlogical failed: ${r.stderr.toString()}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export interface Row {
  figure: string;
  tap: number | null;
  baseline: number | null;
  ratio: number | null;
  unit: string;
  target: string;
}

/**
 * INCREMENTAL's first run (no state, replication key `id`) against FULL_TABLE of the same table on
 * one connection, the run INCREMENTAL should match: both read the whole table in key order.
 * Alternating, medians of REPEAT, into /dev/null; then each once with a slow consumer.
 */
async function benchIncremental(
  catalog: Catalog,
  single: string,
  write: (name: string, doc: unknown) => string,
  add: (r: Row) => void,
): Promise<void> {
  const n = NARROW_ROWS;
  const ft = write('incr-ft.json', catalogFor(catalog, ['public-bench_narrow'], 'FULL_TABLE'));
  const incrCatalog = catalogFor(catalog, ['public-bench_narrow'], 'INCREMENTAL');
  for (const s of incrCatalog.streams) {
    s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata['replication-key'] = 'id';
  }
  const incr = write('incr-incr.json', incrCatalog);
  const full: Measure[] = [];
  const inc: Measure[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const a = await runTap(['--config', single, '--catalog', ft], { devNull: true });
    const b = await runTap(['--config', single, '--catalog', incr], { devNull: true });
    for (const m of [a, b])
      if (m.records !== n) throw new Error(`bench_narrow: ${m.records} records, expected ${n}`);
    full.push(a);
    inc.push(b);
    log(
      `  INCREMENTAL run ${i + 1}: FULL_TABLE ${Math.round(n / a.seconds)} rows/s (${round(a.peakRssMb)} MB), INCREMENTAL ${Math.round(n / b.seconds)} rows/s (${round(b.peakRssMb)} MB)`,
    );
  }
  const fullRate = n / median(full.map((m) => m.seconds));
  const incRate = n / median(inc.map((m) => m.seconds));
  add({
    figure: 'incremental_narrow_first_run_rows_per_s',
    tap: round(incRate),
    baseline: round(fullRate),
    ratio: round(incRate / fullRate, 3),
    unit: 'rows/s vs FULL_TABLE (1 connection)',
    target: '≥ 0.90',
  });
  const fullRss = median(full.map((m) => m.peakRssMb));
  const incRss = median(inc.map((m) => m.peakRssMb));
  add({
    figure: 'incremental_narrow_peak_rss_mb',
    tap: round(incRss, 1),
    baseline: round(fullRss, 1),
    ratio: round(incRss / fullRss, 3),
    unit: 'MB vs FULL_TABLE',
    target: '≤ 1.10',
  });
  const slowFull = await runTap(['--config', single, '--catalog', ft], { slow: true });
  const slowInc = await runTap(['--config', single, '--catalog', incr], { slow: true });
  if (slowInc.records !== n)
    throw new Error(`bench_narrow, slow consumer: ${slowInc.records} records, expected ${n}`);
  add({
    figure: 'incremental_narrow_slow_consumer_peak_rss_mb',
    tap: round(slowInc.peakRssMb, 1),
    baseline: round(slowFull.peakRssMb, 1),
    ratio: round(slowInc.peakRssMb / slowFull.peakRssMb, 3),
    unit: 'MB vs FULL_TABLE',
    target: '≤ 150',
  });
}

/**
 * FULL_TABLE of narrow on one connection with a stream map of 5 expressions (NARROW_MAP) against
 * the same run without a map, alternating, medians of REPEAT, into /dev/null.
 */
async function benchMaps(
  catalog: Catalog,
  single: string,
  write: (name: string, doc: unknown) => string,
  add: (r: Row) => void,
): Promise<void> {
  const n = NARROW_ROWS;
  const cat = write('maps-ft.json', catalogFor(catalog, ['public-bench_narrow'], 'FULL_TABLE'));
  const config = JSON.parse(readFileSync(single, 'utf8')) as Record<string, unknown>;
  // BENCH_MAP: another map of narrow (JSON), e.g. to tell the maps' own cost from the expressions'.
  const map = process.env.BENCH_MAP ? (JSON.parse(process.env.BENCH_MAP) as unknown) : NARROW_MAP;
  const mapped = write('maps-config.json', { ...config, stream_maps: map });
  const plain: Measure[] = [];
  const withMap: Measure[] = [];
  const onMain: Measure[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const a = await runTap(['--config', single, '--catalog', cat], { devNull: true });
    const b = await runTap(['--config', mapped, '--catalog', cat], { devNull: true });
    // The same map without the map worker: every record mapped on the main thread.
    const c = await runTap(['--config', mapped, '--catalog', cat], {
      devNull: true,
      env: { TAP_POSTGRES_MAP_WORKER: 'off' },
    });
    for (const m of [a, b, c])
      if (m.records !== n) throw new Error(`bench_narrow: ${m.records} records, expected ${n}`);
    plain.push(a);
    withMap.push(b);
    onMain.push(c);
    const cpu = (m: Measure) => `${m.cpuSeconds.toFixed(2)} s CPU`;
    log(
      `  maps run ${i + 1}: without a map ${Math.round(n / a.seconds)} rows/s (${cpu(a)}), with ${Math.round(n / b.seconds)} rows/s (${cpu(b)}), on the main thread only ${Math.round(n / c.seconds)} rows/s (${cpu(c)})`,
    );
  }
  const plainRate = n / median(plain.map((m) => m.seconds));
  for (const [figure, runs, target] of [
    ['full_table_narrow_stream_map_rows_per_s', withMap, '≥ 0.80'],
    ['full_table_narrow_stream_map_main_thread_rows_per_s', onMain, 'report'],
  ] as const) {
    const mapRate = n / median(runs.map((m) => m.seconds));
    add({
      figure,
      tap: round(mapRate),
      baseline: round(plainRate),
      ratio: round(mapRate / plainRate, 3),
      unit: 'rows/s vs the same run without a map',
      target,
    });
  }
  // The tap's CPU is steadier than the rows/s, which follow the machine's other work: what the map
  // itself costs, to follow from one version to the next.
  const plainCpu = median(plain.map((m) => m.cpuSeconds));
  const mapCpu = median(withMap.map((m) => m.cpuSeconds));
  add({
    figure: 'full_table_narrow_stream_map_cpu_s',
    tap: round(mapCpu, 2),
    baseline: round(plainCpu, 2),
    ratio: round(plainCpu / mapCpu, 3),
    unit: 'tap CPU s vs the same run without a map',
    target: 'report',
  });
  // Each mapped run against the unmapped run just before it: the machine's speed drifts between
  // runs (here the unmapped rows/s by half within one call), and a pair shares most of its drift.
  const paired = median(plain.map((a, i) => a.seconds / withMap[i]!.seconds));
  add({
    figure: 'full_table_narrow_stream_map_paired_ratio',
    tap: round(paired, 3),
    baseline: 1,
    ratio: round(paired, 3),
    unit: "median of the runs' ratios, each against the run without a map before it",
    target: 'report',
  });
}

async function main(): Promise<void> {
  let server: EmbeddedServer | undefined;
  let url = process.env.TAP_POSTGRES_BENCH_URL;
  if (!url) {
    server = await startEmbeddedServer({
      settings: { shared_buffers: '512MB', max_wal_size: '4GB', checkpoint_timeout: '30min' },
    });
    url = server.url;
  }
  const rows: Row[] = [];
  const breakdown: StageFigure[] = [];
  const figures: Record<string, unknown> = {
    scale: SCALE,
    repeat: REPEAT,
    parallelism: PARALLELISM,
    sizes: {
      narrow: NARROW_ROWS,
      wide: WIDE_ROWS,
      updates: UPDATES,
      inserts: INSERTS,
      big_txn: BIG_TXN,
      tables: TABLES,
      many_tables: MANY_TABLES,
      many_rows: MANY_ROWS,
    },
  };
  const add = (r: Row) => {
    rows.push(r);
    figures[r.figure] = { tap: r.tap, baseline: r.baseline, ratio: r.ratio, unit: r.unit };
  };
  try {
    const u = new URL(url);
    const db = new Client({ connectionString: url });
    await db.connect();
    await db.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots');
    await db.query('DROP PUBLICATION IF EXISTS tap_postgres');
    await db.query('DROP TABLE IF EXISTS bench_narrow, bench_wide');
    log(`building narrow (${NARROW_ROWS} rows) and wide (${WIDE_ROWS} rows)…`);
    await db.query(NARROW_DDL);
    await db.query(WIDE_DDL);
    // In slices, so the wide table's generation does not hold one huge statement's memory.
    const SLICE = 250_000;
    for (let i = 1; i <= NARROW_ROWS; i += SLICE)
      await db.query(narrowInsert(i, Math.min(NARROW_ROWS, i + SLICE - 1)));
    for (let i = 1; i <= WIDE_ROWS; i += SLICE)
      await db.query(wideInsert(i, Math.min(WIDE_ROWS, i + SLICE - 1)));
    await db.query('VACUUM ANALYZE bench_narrow');
    await db.query('VACUUM ANALYZE bench_wide');
    // The build's dirty pages are written now rather than by the checkpointer during the first
    // measured runs (seen: one side of a pair 30% slower for no reason of its own).
    await db.query('CHECKPOINT');

    const dir = mkdtempSync(join(tmpdir(), 'tap-postgres-bench-'));
    const baseConfig = {
      host: u.hostname,
      port: Number(u.port),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      dbname: u.pathname.slice(1) || 'postgres',
      filter_schemas: 'public',
      ...(process.env.BENCH_BATCH ? { batch_fetch_limit: Number(process.env.BENCH_BATCH) } : {}),
    };
    const write = (name: string, doc: unknown) => {
      const p = join(dir, name);
      writeFileSync(p, JSON.stringify(doc));
      return p;
    };
    const single = write('single.json', { ...baseConfig, snapshot_parallelism: 1 });
    const parallel = write('parallel.json', { ...baseConfig, snapshot_parallelism: PARALLELISM });
    const discovered = spawnSync(process.execPath, [BIN, '--config', single, '--discover']);
    const catalog = JSON.parse(discovered.stdout.toString()) as Catalog;

    // FULL_TABLE: COPY, one connection, several connections; alternating, REPEAT times.
    for (const [table, n, target] of [
      ['bench_narrow', NARROW_ROWS, '≥ 0.60'],
      ['bench_wide', WIDE_ROWS, '≥ 0.80'],
    ] as const) {
      if (n === 0 || !PARTS.has('full_table')) continue;
      const cat = write(`${table}.json`, catalogFor(catalog, [`public-${table}`], 'FULL_TABLE'));
      const copy: number[] = [];
      const one: Measure[] = [];
      const many: Measure[] = [];
      for (let i = 0; i < REPEAT; i++) {
        copy.push(await copyBaseline(url, table));
        const a = await runTap(['--config', single, '--catalog', cat], { devNull: true });
        const b = await runTap(['--config', parallel, '--catalog', cat], { devNull: true });
        for (const m of [a, b])
          if (m.records !== n) throw new Error(`${table}: ${m.records} records, expected ${n}`);
        one.push(a);
        many.push(b);
        log(
          `  ${table} run ${i + 1}: COPY ${Math.round(n / copy[i]!)} rows/s, tap ${Math.round(n / a.seconds)}, parallel ${Math.round(n / b.seconds)}`,
        );
      }
      const ranges = /copying in (\d+) CTID ranges/.exec(many[0]!.stderr)?.[1] ?? '1';
      const copyRate = n / median(copy);
      const oneRate = n / median(one.map((m) => m.seconds));
      const manyRate = n / median(many.map((m) => m.seconds));
      const name = table.replace('bench_', '');
      add({
        figure: `full_table_${name}_rows_per_s`,
        tap: round(oneRate),
        baseline: round(copyRate),
        ratio: round(oneRate / copyRate, 3),
        unit: 'rows/s vs COPY',
        target,
      });
      add({
        figure: `full_table_${name}_parallel_rows_per_s (${ranges} ranges)`,
        tap: round(manyRate),
        baseline: round(copyRate),
        ratio: round(manyRate / copyRate, 3),
        unit: 'rows/s vs COPY',
        target,
      });
      add({
        figure: `full_table_${name}_peak_rss_mb`,
        tap: round(median(one.map((m) => m.peakRssMb)), 1),
        baseline: null,
        ratio: null,
        unit: 'MB',
        target: '',
      });
      add({
        figure: `full_table_${name}_parallel_peak_rss_mb`,
        tap: round(median(many.map((m) => m.peakRssMb)), 1),
        baseline: null,
        ratio: null,
        unit: 'MB',
        target: '',
      });
      const slowOne = await runTap(['--config', single, '--catalog', cat], { slow: true });
      const slowMany = await runTap(['--config', parallel, '--catalog', cat], { slow: true });
      add({
        figure: `full_table_${name}_slow_consumer_peak_rss_mb`,
        tap: round(slowOne.peakRssMb, 1),
        baseline: null,
        ratio: null,
        unit: 'MB',
        target: '≤ 150',
      });
      add({
        figure: `full_table_${name}_parallel_slow_consumer_peak_rss_mb`,
        tap: round(slowMany.peakRssMb, 1),
        baseline: null,
        ratio: null,
        unit: 'MB',
        target: '≤ 150',
      });
    }

    // FULL_TABLE with batch_config (gzipped batch files) vs RECORD output (bench/batch.ts).
    if (PARTS.has('batch')) {
      for (const [table, n] of [
        ['bench_narrow', NARROW_ROWS],
        ['bench_wide', WIDE_ROWS],
      ] as const) {
        if (n === 0) continue;
        const cat = write(`${table}.json`, catalogFor(catalog, [`public-${table}`], 'FULL_TABLE'));
        await benchBatch({
          table,
          rows: n,
          repeat: REPEAT,
          baseConfig,
          catalog: cat,
          dir,
          write,
          add,
          log,
        });
      }
    }

    // Where FULL_TABLE's limit is, stage by stage (bench/breakdown.ts).
    if (PARTS.has('breakdown') && hasPsql) {
      const catalogs = new Map<string, string>();
      for (const t of ['bench_narrow', 'bench_wide'])
        catalogs.set(t, write(`${t}.json`, catalogFor(catalog, [`public-${t}`], 'FULL_TABLE')));
      const stages = await runBreakdown({
        url,
        tables: [
          { table: 'bench_narrow', rows: NARROW_ROWS, orderBy: 'id' },
          { table: 'bench_wide', rows: WIDE_ROWS, orderBy: 'id' },
        ],
        repeat: REPEAT,
        bin: BIN,
        single,
        parallel,
        catalogs,
        dir,
        log,
      });
      breakdown.push(...stages);
      figures.breakdown = stages;
    }

    // Before LOG_BASED, whose updates leave narrow with dead rows that would slow both sides.
    if (NARROW_ROWS > 0 && PARTS.has('incremental')) {
      log(`INCREMENTAL: first run of narrow vs FULL_TABLE…`);
      await benchIncremental(catalog, single, write, add);
    }

    if (NARROW_ROWS > 0 && PARTS.has('maps')) {
      log(`maps: FULL_TABLE of narrow with a stream map of 5 expressions vs without…`);
      await benchMaps(catalog, single, write, add);
    }

    // LOG_BASED: a first run creates the slot and copies both tables; slots for pg_recvlogical
    // are created at the same point, so both read the same backlog.
    if (UPDATES + INSERTS > 0 && PARTS.has('log_based')) {
      await db.query('CREATE PUBLICATION tap_postgres FOR TABLE bench_narrow, bench_wide');
      const lbConfig = write('lb.json', { ...baseConfig, logical_poll_total_seconds: 10 });
      const lbCat = write(
        'lb-cat.json',
        catalogFor(catalog, ['public-bench_narrow', 'public-bench_wide'], 'LOG_BASED'),
      );
      log('LOG_BASED: first run (slot, copy)…');
      const first = await runTap(['--config', lbConfig, '--catalog', lbCat], { keepState: true });
      const state = write(
        'lb-state.json',
        (JSON.parse(first.lastState!) as { value: unknown }).value,
      );
      for (let i = 0; i < REPEAT; i++) {
        await db.query(`SELECT pg_create_logical_replication_slot('bench_recv_${i}', 'pgoutput')`);
      }
      log(`LOG_BASED: ${UPDATES} updates in transactions of 1,000 and ${INSERTS} inserts…`);
      await db.query(
        `DO $$ BEGIN FOR t IN 0..${Math.ceil(UPDATES / 1000) - 1} LOOP
           FOR k IN 1..${Math.min(1000, UPDATES)} LOOP
             UPDATE bench_narrow SET amount = amount + 1 WHERE id = (t * 1000 + k - 1) % ${Math.max(1, NARROW_ROWS)} + 1;
           END LOOP;
           COMMIT; END LOOP; END $$`,
      );
      if (INSERTS > 0) await db.query(wideInsert(WIDE_ROWS + 1, WIDE_ROWS + INSERTS));
      // Autovacuum would otherwise clean up after 500,000 updates during the first runs, taking
      // CPU from whichever side is being measured (seen: the first runs 30% slower than the last).
      await db.query('VACUUM (ANALYZE) bench_narrow, bench_wide');
      await db.query('CHECKPOINT');
      const end = (await db.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!
        .l;
      const changes = UPDATES + INSERTS;
      const tap: Measure[] = [];
      const recv: number[] = [];
      for (let i = 0; i < REPEAT; i++) {
        // ack_mode next_run: the tap confirms only the incoming state's LSN, so every run reads
        // the same backlog again.
        // Into /dev/null as pg_recvlogical's output.
        const t = await runTap(['--config', lbConfig, '--catalog', lbCat, '--state', state], {
          devNull: true,
        });
        if (t.records !== changes)
          throw new Error(`LOG_BASED: ${t.records} records, expected ${changes}`);
        tap.push(t);
        const r = recvlogicalBaseline(url, `bench_recv_${i}`, end);
        if (r !== null) recv.push(r);
        log(
          `  LOG_BASED run ${i + 1}: tap ${Math.round(changes / t.seconds)} changes/s, pg_recvlogical ${r ? Math.round(changes / r) : 'n/a'}`,
        );
      }
      for (let i = 0; i < REPEAT; i++)
        await db.query(`SELECT pg_drop_replication_slot('bench_recv_${i}')`);
      const tapRate = changes / median(tap.map((m) => m.seconds));
      const recvRate = recv.length ? changes / median(recv) : null;
      add({
        figure: 'log_based_changes_per_s',
        tap: round(tapRate),
        baseline: recvRate && round(recvRate),
        ratio: recvRate && round(tapRate / recvRate, 3),
        unit: 'changes/s vs pg_recvlogical',
        target: '≥ 0.70',
      });
      add({
        figure: 'log_based_peak_rss_mb',
        tap: round(median(tap.map((m) => m.peakRssMb)), 1),
        baseline: null,
        ratio: null,
        unit: 'MB',
        target: '',
      });
      const slow = await runTap(['--config', lbConfig, '--catalog', lbCat, '--state', state], {
        slow: true,
      });
      add({
        figure: 'log_based_slow_consumer_peak_rss_mb',
        tap: round(slow.peakRssMb, 1),
        baseline: null,
        ratio: null,
        unit: 'MB',
        target: '≤ 150',
      });

      if (BIG_TXN > 0) {
        // The state after the backlog, from one more run (not measured: --state-out fsyncs each
        // STATE, a cost the figures above should not carry).
        const stateOut = join(dir, 'lb-state-out.json');
        await runTap(
          ['--config', lbConfig, '--catalog', lbCat, '--state', state, '--state-out', stateOut],
          { devNull: true },
        );
        const afterBacklog = write('lb-state-2.json', JSON.parse(readFileSync(stateOut, 'utf8')));
        log(`LOG_BASED: one transaction of ${BIG_TXN} updates…`);
        await db.query(`UPDATE bench_narrow SET flag = NOT flag WHERE id <= ${BIG_TXN}`);
        const big = await runTap(
          ['--config', lbConfig, '--catalog', lbCat, '--state', afterBacklog],
          {
            devNull: true,
          },
        );
        const expected = Math.min(BIG_TXN, NARROW_ROWS);
        if (big.records !== expected)
          throw new Error(`big transaction: ${big.records} records, expected ${expected}`);
        add({
          figure: `log_based_one_txn_of_${expected}_peak_rss_mb`,
          tap: round(big.peakRssMb, 1),
          baseline: null,
          ratio: null,
          unit: 'MB',
          target: '≤ 200',
        });
        add({
          figure: `log_based_one_txn_changes_per_s`,
          tap: round(expected / big.seconds),
          baseline: null,
          ratio: null,
          unit: 'changes/s',
          target: '',
        });
      }
    }

    // Discovery of TABLES tables of 20 columns, in a schema of their own.
    if (TABLES > 0 && PARTS.has('discovery')) {
      log(`discovery: ${TABLES} tables of 20 columns…`);
      await db.query('DROP SCHEMA IF EXISTS bench_disc CASCADE');
      await db.query('CREATE SCHEMA bench_disc');
      const cols = Array.from(
        { length: 19 },
        (_, i) => `c${i} ${['text', 'integer', 'numeric(12,2)', 'timestamptz', 'boolean'][i % 5]}`,
      ).join(', ');
      await db.query(
        `DO $$ BEGIN FOR i IN 1..${TABLES} LOOP
           EXECUTE format('CREATE TABLE bench_disc.t%s (id bigint PRIMARY KEY, ${cols})', i);
         END LOOP; END $$`,
      );
      const discConfig = write('disc.json', { ...baseConfig, filter_schemas: 'bench_disc' });
      const times: number[] = [];
      for (let i = 0; i < REPEAT; i++) {
        const started = process.hrtime.bigint();
        const r = spawnSync(process.execPath, [BIN, '--config', discConfig, '--discover'], {
          maxBuffer: 1 << 30,
        });
        if (r.status !== 0) throw new Error(`discovery failed: ${r.stderr.toString()}`);
        times.push(Number(process.hrtime.bigint() - started) / 1e9);
        const n = (JSON.parse(r.stdout.toString()) as Catalog).streams.length;
        if (n !== TABLES) throw new Error(`discovery found ${n} streams, expected ${TABLES}`);
      }
      add({
        figure: `discovery_${TABLES}_tables_seconds`,
        tap: round(median(times), 2),
        baseline: null,
        ratio: null,
        unit: 's',
        target: '≤ 3',
      });
      await db.query('DROP SCHEMA bench_disc CASCADE');
    }
    await db.end();

    if (MANY_TABLES > 0 && PARTS.has('many_tables')) {
      const m = await benchManyTables({
        url,
        bin: BIN,
        baseConfig,
        dir,
        tables: MANY_TABLES,
        rowsPerTable: MANY_ROWS,
        repeat: REPEAT,
        log,
      });
      const name = `many_tables_${MANY_TABLES}x${MANY_ROWS}`;
      add({
        figure: `${name}_seconds`,
        tap: round(m.tapSeconds, 2),
        baseline: round(m.psqlSeconds, 2),
        ratio: round(m.psqlSeconds / m.tapSeconds, 3),
        unit: 's vs psql COPY of each table (ratio: psql / tap)',
        target: MANY_TABLES >= 10_000 ? '≤ 10 s' : '',
      });
      add({
        figure: `${name}_tables_per_s`,
        tap: round(MANY_TABLES / m.tapSeconds),
        baseline: round(MANY_TABLES / m.psqlSeconds),
        ratio: round(m.psqlSeconds / m.tapSeconds, 3),
        unit: 'tables/s vs psql',
        target: '',
      });
      add({
        figure: `${name}_peak_rss_mb`,
        tap: round(m.tapPeakRssMb, 1),
        baseline: null,
        ratio: null,
        unit: 'MB',
        target: '',
      });
      add({
        figure: `${name}_state_bytes (${m.stateMessages} STATEs)`,
        tap: m.stateBytes,
        baseline: null,
        ratio: null,
        unit: 'bytes of STATE on stdout',
        target: '',
      });
    }

    console.log(`\nmedians of ${REPEAT}, scale ${SCALE}, snapshot_parallelism ${PARALLELISM}\n`);
    console.log(
      '| figure | tap | PostgreSQL | ratio | unit | target |\n|---|---:|---:|---:|---|---|',
    );
    for (const r of rows) {
      console.log(
        `| ${r.figure} | ${r.tap ?? 'n/a'} | ${r.baseline ?? ''} | ${r.ratio ?? ''} | ${r.unit} | ${r.target} |`,
      );
    }
    if (breakdown.length > 0) {
      console.log(
        `\nbreakdown: medians of ${REPEAT}, wall time from spawn to exit; client CPU: psql's or node's, not the server's\n`,
      );
      console.log(
        '| table | stage | seconds | client CPU s | rows/s | of psql COPY text |\n|---|---|---:|---:|---:|---:|',
      );
      for (const f of breakdown)
        console.log(
          `| ${f.table} | ${f.stage} | ${f.seconds.toFixed(2)} | ${f.cpuSeconds} | ${f.rowsPerS} | ${f.ofCopy} |`,
        );
    }
    if (process.env.BENCH_JSON)
      writeFileSync(process.env.BENCH_JSON, JSON.stringify(figures, null, 2));
  } finally {
    await server?.stop();
  }
}

// `--stage …`: this script as one stage of the breakdown (bench/breakdown.ts).
(process.argv[2] === '--stage' ? runStage(process.argv.slice(3)) : main()).catch((e: unknown) => {
  console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
