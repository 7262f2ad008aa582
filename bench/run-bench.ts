/**
 * `npm run bench`: the tap against PostgreSQL's own limits, in one run, on one machine.
 *
 * Starts an embedded PostgreSQL (or uses TAP_POSTGRES_BENCH_URL), builds `narrow` with
 * generate_series, and measures, alternating and taking medians:
 * - FULL_TABLE through the built tap into /dev/null vs `COPY … TO STDOUT` through psql (rows/s);
 * - the tap's peak RSS with a fast consumer and with one that reads slowly.
 * - LOG_BASED over a backlog of BENCH_CHANGES (default 500,000) updates: changes/s, peak RSS.
 * Sizes: BENCH_ROWS (default 2,000,000), BENCH_REPEAT (default 3). BENCH_JSON=path writes figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedServer, type EmbeddedServer } from '../src/embedded/embedded-server';

const ROWS = Number(process.env.BENCH_ROWS ?? 2_000_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 500_000);
const BIN = join(__dirname, '..', '..', 'bin', 'tap-postgres.js');

interface Measure {
  seconds: number;
  rows: number;
  peakRssMb: number;
  /** The last STATE line, when asked for (`keepState`). */
  lastState?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs the tap; `slow` reads stdout in small sips with pauses, like a target that is behind. */
function runTap(args: string[], slow: boolean, keepState = false): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeFlags, BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errTail = '';
    child.stderr.on('data', (c: Buffer) => (errTail = (errTail + c.toString('utf8')).slice(-2000)));
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, peakRss(child.pid!))), 50);
    let records = 0;
    let tail = '';
    let partial = '';
    let lastState: string | undefined;
    const count = (chunk: Buffer) => {
      if (keepState) {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop()!;
        for (const l of lines) if (l.startsWith('{"type":"STATE"')) lastState = l;
      }
      const text = tail + chunk.toString('latin1');
      let i = -1;
      while ((i = text.indexOf('{"type":"RECORD"', i + 1)) !== -1) records += 1;
      tail = text.slice(-15); // shorter than the marker: a match is never counted twice
    };
    if (slow) {
      child.stdout.on('readable', function sip() {
        const chunk = child.stdout.read(16 * 1024) as Buffer | null;
        if (!chunk) return;
        count(chunk);
        child.stdout.off('readable', sip);
        setTimeout(() => {
          child.stdout.on('readable', sip);
          sip();
        }, 1);
      });
    } else {
      child.stdout.on('data', count);
    }
    child.on('error', reject);
    child.on('exit', () => {
      peak = Math.max(peak, peakRss(child.pid!));
    });
    child.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`tap exited ${code}: ${errTail.trim()}`));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ seconds, rows: records, peakRssMb: peak, ...(lastState ? { lastState } : {}) });
    });
  });
}

function copyBaseline(url: string, table: string): Measure | null {
  const which = spawnSync('which', ['psql']);
  if (which.status !== 0) return null;
  const started = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `psql "${url}" -qAt -c "COPY ${table} TO STDOUT" > /dev/null`]);
  if (r.status !== 0) throw new Error(`psql COPY failed: ${r.stderr.toString()}`);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, rows: ROWS, peakRssMb: 0 };
}

async function main(): Promise<void> {
  let server: EmbeddedServer | undefined;
  let url = process.env.TAP_POSTGRES_BENCH_URL;
  if (!url) {
    server = await startEmbeddedServer({ settings: { shared_buffers: '512MB' } });
    url = server.url;
  }
  try {
    const u = new URL(url);
    const db = new Client({ connectionString: url });
    await db.connect();
    console.error(`building narrow: ${ROWS} rows…`);
    await db.query(`DROP TABLE IF EXISTS bench_narrow`);
    await db.query(
      `CREATE TABLE bench_narrow (id bigint PRIMARY KEY, ts timestamptz, label text, amount numeric(12,2), flag boolean)`,
    );
    await db.query(
      `INSERT INTO bench_narrow SELECT i, TIMESTAMPTZ '2024-01-01' + i * interval '1 second', 'label ' || i, (i % 100000) / 100.0, i % 2 = 0 FROM generate_series(1, $1) i`,
      [ROWS],
    );
    await db.query('VACUUM ANALYZE bench_narrow');
    await db.end();

    const dir = mkdtempSync(join(tmpdir(), 'tap-postgres-bench-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        host: u.hostname,
        port: Number(u.port),
        user: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
        dbname: u.pathname.slice(1) || 'postgres',
        filter_schemas: 'public',
        ...(process.env.BENCH_BATCH ? { batch_fetch_limit: Number(process.env.BENCH_BATCH) } : {}),
      }),
    );
    const catalog = JSON.parse(
      spawnSync(process.execPath, [BIN, '--config', config, '--discover']).stdout.toString(),
    ) as {
      streams: Array<{
        tap_stream_id: string;
        metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
      }>;
    };
    for (const s of catalog.streams) {
      if (s.tap_stream_id !== 'public-bench_narrow') continue;
      const root = s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
      root.selected = true;
      root['replication-method'] = 'FULL_TABLE';
    }
    const catalogPath = join(dir, 'catalog.json');
    writeFileSync(catalogPath, JSON.stringify(catalog));

    const tap: Measure[] = [];
    const copy: Measure[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const c = copyBaseline(url, 'bench_narrow');
      if (c) copy.push(c);
      const t = await runTap(['--config', config, '--catalog', catalogPath], false);
      if (t.rows !== ROWS) throw new Error(`tap emitted ${t.rows} records, expected ${ROWS}`);
      tap.push(t);
      console.error(
        `  run ${i + 1}: tap ${(ROWS / t.seconds).toFixed(0)} rows/s, COPY ${c ? (ROWS / c.seconds).toFixed(0) : 'n/a'} rows/s`,
      );
    }
    const slow = await runTap(['--config', config, '--catalog', catalogPath], true);

    // LOG_BASED: a first run copies `narrow` and creates the slot; then a backlog of single-row
    // UPDATEs in transactions of 1,000; the second run streams it.
    let logBased: Measure | undefined;
    if (CHANGES > 0) {
      const db2 = new Client({ connectionString: url });
      await db2.connect();
      await db2.query('DROP PUBLICATION IF EXISTS tap_postgres');
      await db2.query('CREATE PUBLICATION tap_postgres FOR TABLE bench_narrow');
      for (const s of catalog.streams) {
        if (s.tap_stream_id !== 'public-bench_narrow') continue;
        s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata['replication-method'] =
          'LOG_BASED';
      }
      const lbCatalog = join(dir, 'catalog-lb.json');
      writeFileSync(lbCatalog, JSON.stringify(catalog));
      const lbConfig = join(dir, 'config-lb.json');
      writeFileSync(
        lbConfig,
        JSON.stringify({
          ...JSON.parse(readFileSync(config, 'utf8')),
          logical_poll_total_seconds: 10,
        }),
      );
      console.error('LOG_BASED: first run (copy)…');
      const firstRun = await runTap(['--config', lbConfig, '--catalog', lbCatalog], false, true);
      const statePath = join(dir, 'state-lb.json');
      writeFileSync(
        statePath,
        JSON.stringify((JSON.parse(firstRun.lastState!) as { value: unknown }).value),
      );
      console.error(`LOG_BASED: ${CHANGES} changes in transactions of 1,000…`);
      await db2.query(
        `DO $$ BEGIN FOR i IN 0..${Math.ceil(CHANGES / 1000) - 1} LOOP
           UPDATE bench_narrow SET amount = amount + 1 WHERE id > i * 1000 AND id <= (i + 1) * 1000;
           COMMIT; END LOOP; END $$`,
      );
      await db2.end();
      logBased = await runTap(
        ['--config', lbConfig, '--catalog', lbCatalog, '--state', statePath],
        false,
      );
      console.error(`  LOG_BASED: ${logBased.rows} changes in ${logBased.seconds.toFixed(1)} s`);
    }

    const tapRate = ROWS / median(tap.map((m) => m.seconds));
    const copyRate = copy.length ? ROWS / median(copy.map((m) => m.seconds)) : NaN;
    const figures = {
      rows: ROWS,
      repeat: REPEAT,
      full_table_narrow_rows_per_s: Math.round(tapRate),
      copy_narrow_rows_per_s: Number.isNaN(copyRate) ? null : Math.round(copyRate),
      ratio_vs_copy: Number.isNaN(copyRate) ? null : Number((tapRate / copyRate).toFixed(3)),
      peak_rss_mb_fast_consumer: Number(median(tap.map((m) => m.peakRssMb)).toFixed(1)),
      peak_rss_mb_slow_consumer: Number(slow.peakRssMb.toFixed(1)),
      slow_consumer_seconds: Number(slow.seconds.toFixed(1)),
      log_based_changes: logBased?.rows ?? null,
      log_based_changes_per_s: logBased ? Math.round(logBased.rows / logBased.seconds) : null,
      log_based_peak_rss_mb: logBased ? Number(logBased.peakRssMb.toFixed(1)) : null,
    };
    console.log('| figure | value |\n|---|---|');
    for (const [k, v] of Object.entries(figures)) console.log(`| ${k} | ${v ?? 'n/a'} |`);
    if (process.env.BENCH_JSON)
      writeFileSync(process.env.BENCH_JSON, JSON.stringify(figures, null, 2));
  } finally {
    await server?.stop();
  }
}

main().catch((e: unknown) => {
  console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
