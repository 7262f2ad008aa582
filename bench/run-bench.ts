/**
 * `npm run bench`: the tap against PostgreSQL's own limits, in one run, on one machine.
 *
 * Starts an embedded PostgreSQL (or uses TAP_POSTGRES_BENCH_URL), builds `narrow` with
 * generate_series, and measures, alternating and taking medians:
 * - FULL_TABLE through the built tap into /dev/null vs `COPY … TO STDOUT` through psql (rows/s);
 * - the tap's peak RSS with a fast consumer and with one that reads slowly.
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
const BIN = join(__dirname, '..', '..', 'bin', 'tap-postgres.js');

interface Measure {
  seconds: number;
  rows: number;
  peakRssMb: number;
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
function runTap(args: string[], slow: boolean): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeFlags, BIN, ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, peakRss(child.pid!))), 50);
    let records = 0;
    let tail = '';
    const count = (chunk: Buffer) => {
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
      if (code !== 0) return reject(new Error(`tap exited ${code}`));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ seconds, rows: records, peakRssMb: peak });
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
