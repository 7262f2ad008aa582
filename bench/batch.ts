/**
 * `BENCH_PARTS=batch`: FULL_TABLE of a table with `batch_config` (gzipped JSONL batch files in a
 * temporary directory, BATCH messages to /dev/null) against the same run with RECORD output to
 * /dev/null, alternating: rows/s, peak RSS, and CPU seconds of the main thread and of the whole
 * process. Equal main-thread CPU with more process CPU is compression and file writes running
 * off the main thread (libuv's thread pool).
 */
import { readdirSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './bench-support';
import { runTap, type Row } from './run-bench';

export interface BatchBench {
  readonly table: string;
  readonly rows: number;
  readonly repeat: number;
  readonly baseConfig: Record<string, unknown>;
  readonly catalog: string;
  readonly dir: string;
  write(name: string, doc: unknown): string;
  add(row: Row): void;
  log(line: string): void;
}

const round = (x: number, digits = 0) => Number(x.toFixed(digits));

export async function benchBatch(b: BatchBench): Promise<void> {
  const name = b.table.replace('bench_', '');
  const root = join(b.dir, `batches-${name}`);
  const plain = b.write(`batch-plain-${name}.json`, { ...b.baseConfig, snapshot_parallelism: 1 });
  const configs = (['gzip', 'none'] as const).map((compression) => ({
    compression,
    path: b.write(`batch-${compression}-${name}.json`, {
      ...b.baseConfig,
      snapshot_parallelism: 1,
      batch_config: {
        encoding: { format: 'jsonl', compression },
        storage: { root: `file://${root}`, prefix: `${name}-` },
        batch_size: 100_000,
      },
    }),
  }));
  const records = [];
  const batched = new Map<string, Awaited<ReturnType<typeof runTap>>[]>();
  let files = 0;
  for (let i = 0; i < b.repeat; i++) {
    const r = await runTap(['--config', plain, '--catalog', b.catalog], { devNull: true });
    records.push(r);
    const line = [`RECORD ${Math.round(b.rows / r.seconds)} rows/s`];
    for (const c of configs) {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root);
      const m = await runTap(['--config', c.path, '--catalog', b.catalog], { devNull: true });
      if (m.records !== b.rows)
        throw new Error(`${b.table}: ${m.records} records, expected ${b.rows}`);
      files = readdirSync(root).length;
      batched.set(c.compression, [...(batched.get(c.compression) ?? []), m]);
      line.push(`batch ${c.compression} ${Math.round(b.rows / m.seconds)}`);
    }
    b.log(`  ${b.table} run ${i + 1}: ${line.join(', ')} (${files} files)`);
  }
  rmSync(root, { recursive: true, force: true });
  const rate = (ms: Array<{ seconds: number }>) => b.rows / median(ms.map((m) => m.seconds));
  const recordRate = rate(records);
  for (const [compression, ms] of batched) {
    b.add({
      figure: `batch_${name}_${compression}_rows_per_s`,
      tap: round(rate(ms)),
      baseline: round(recordRate),
      ratio: round(rate(ms) / recordRate, 3),
      unit: 'rows/s vs RECORD',
      target: '',
    });
    b.add({
      figure: `batch_${name}_${compression}_peak_rss_mb`,
      tap: round(median(ms.map((m) => m.peakRssMb)), 1),
      baseline: round(median(records.map((m) => m.peakRssMb)), 1),
      ratio: null,
      unit: 'MB vs RECORD',
      target: '',
    });
    b.add({
      figure: `batch_${name}_${compression}_main_thread_cpu_s`,
      tap: round(median(ms.map((m) => m.mainCpuSeconds)), 2),
      baseline: round(median(records.map((m) => m.mainCpuSeconds)), 2),
      ratio: null,
      unit: 's vs RECORD',
      target: '',
    });
    b.add({
      figure: `batch_${name}_${compression}_process_cpu_s`,
      tap: round(median(ms.map((m) => m.cpuSeconds)), 2),
      baseline: round(median(records.map((m) => m.cpuSeconds)), 2),
      ratio: null,
      unit: 's vs RECORD',
      target: '',
    });
  }
}
