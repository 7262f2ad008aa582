/**
 * The `breakdown` bench part: where FULL_TABLE's limit is, stage by stage, on one machine in one
 * run. Each stage is a process of its own, timed from spawn to exit (and its CPU) and alternated with the
 * others over the rounds (medians), every one reading the whole table with `COPY … TO STDOUT`:
 * - psql text / psql binary: the server's side, the output thrown away by libpq;
 * - psql keyset-shaped: the tap's single-connection statement shape (the key's index in order);
 * - receive: the tap's own wire reader (src/db/copy-out.ts), payloads dropped;
 * - scan: plus the row and field boundaries (src/db/copy-row-scanner.ts);
 * - encode: plus every RECORD line built into a reused buffer (row-body-encoder, the envelope);
 * - write: only writing RECORD lines (a sample built beforehand, repeated up to the table's
 *   output size) through the tap's SingerWriter into /dev/null;
 * - tap: the built tap into /dev/null, as it runs (--optimize-for-size), with
 *   TAP_POSTGRES_OPTIMIZE_FOR_SPEED=1, and with snapshot_parallelism.
 * The stage processes are this same script with `--stage` (see runStage).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { copyOut } from '../src/db/copy-out';
import { CopyRowScanner } from '../src/db/copy-row-scanner';
import { sessionOptions } from '../src/db/session-settings';
import { queryCatalog } from '../src/discovery/catalog-query';
import { resolveColumnType, typesByOid } from '../src/discovery/resolve-type';
import { recordPrefix, recordSuffix, SingerWriter } from '../src/singer/writer';
import { GrowableSink, putBytes } from '../src/values/byte-sink';
import { RowBodyEncoder } from '../src/values/row-body-encoder';
import { median } from './bench-support';

/** Bytes of RECORD lines the write stage repeats. */
const SAMPLE_BYTES = 16 * 1024 * 1024;

export interface BreakdownTable {
  readonly table: string;
  readonly rows: number;
  readonly orderBy: string;
}

export interface StageFigure {
  readonly stage: string;
  readonly table: string;
  readonly seconds: number;
  /** CPU of the client process (psql or node, not the server's), user + system. */
  readonly cpuSeconds: number;
  readonly rowsPerS: number;
  /** rows/s of this stage over psql text COPY's. */
  readonly ofCopy: number;
}

/** `times`' `1m2.5s` as seconds. */
const shellSeconds = (t: string) => {
  const m = /(\d+)m([\d.]+)s/.exec(t);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
};

/**
 * Runs `cmd` with stdout into /dev/null: wall seconds from spawn to exit, and the CPU seconds
 * (user + system) of the process and its children, from the shell's `times` (on a shared machine
 * the CPU a stage needs is steadier than its wall time).
 */
function timed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ seconds: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const script = '"$0" "$@" > /dev/null; s=$?; times >&2; exit $s';
    const child = spawn('sh', ['-c', script, cmd, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-20000)));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0)
        return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      // The last line of `times`: the children's user and system time.
      const last = stderr.trim().split('\n').pop() ?? '';
      const [user = '', sys = ''] = last.trim().split(/\s+/);
      resolve({ seconds, cpu: shellSeconds(user) + shellSeconds(sys) });
    });
  });
}

/**
 * Every stage of every table, `repeat` rounds, alternating within each round. `bin` is the tap's
 * CLI, `configs` its config files (one connection, parallel), `catalogs` one per table.
 */
export async function runBreakdown(opts: {
  url: string;
  tables: readonly BreakdownTable[];
  repeat: number;
  bin: string;
  single: string;
  parallel: string;
  catalogs: ReadonlyMap<string, string>;
  dir: string;
  log: (s: string) => void;
}): Promise<StageFigure[]> {
  const { url, repeat, bin } = opts;
  // run-bench.js runs a stage when given --stage.
  const self = join(__dirname, 'run-bench.js');
  const node = process.execPath;
  const stageEnv = { ...process.env, BENCH_STAGE_URL: url };
  const figures: StageFigure[] = [];
  for (const t of opts.tables) {
    if (t.rows === 0) continue;
    const sample = `${opts.dir}/${t.table}.sample`;
    // The encode stage reports the table's output size and writes the sample the write stage uses.
    const enc = spawnSync(node, [self, '--stage', 'encode', t.table, sample], { env: stageEnv });
    if (enc.status !== 0) throw new Error(`encode stage failed: ${enc.stderr.toString()}`);
    const outputBytes = String(JSON.parse(enc.stdout.toString()).bytes as number);
    const cat = opts.catalogs.get(t.table)!;
    const stages: Array<[string, () => Promise<{ seconds: number; cpu: number }>]> = [
      ['psql COPY text', () => timed('psql', [url, '-qAt', '-c', `COPY ${t.table} TO STDOUT`])],
      [
        'psql COPY binary',
        () => timed('psql', [url, '-qAt', '-c', `COPY ${t.table} TO STDOUT (FORMAT binary)`]),
      ],
      [
        'psql COPY text, in key order',
        () =>
          timed('psql', [
            url,
            '-qAt',
            '-c',
            `COPY (SELECT * FROM ${t.table} ORDER BY ${t.orderBy}) TO STDOUT`,
          ]),
      ],
      [
        'node: receive COPY bytes',
        () => timed(node, [self, '--stage', 'receive', t.table], stageEnv),
      ],
      ['node: + scan rows/fields', () => timed(node, [self, '--stage', 'scan', t.table], stageEnv)],
      [
        'node: + encode RECORDs (no write)',
        () => timed(node, [self, '--stage', 'encode', t.table], stageEnv),
      ],
      [
        'node: write RECORD lines only',
        () => timed(node, [self, '--stage', 'write', sample, outputBytes], stageEnv),
      ],
      ['tap', () => timed(node, [bin, '--config', opts.single, '--catalog', cat])],
      [
        'tap, TAP_POSTGRES_OPTIMIZE_FOR_SPEED=1',
        () =>
          timed(node, [bin, '--config', opts.single, '--catalog', cat], {
            ...process.env,
            TAP_POSTGRES_OPTIMIZE_FOR_SPEED: '1',
          }),
      ],
      [
        'tap, snapshot_parallelism',
        () => timed(node, [bin, '--config', opts.parallel, '--catalog', cat]),
      ],
    ];
    const times = new Map<string, number[]>(stages.map(([name]) => [name, []]));
    const cpus = new Map<string, number[]>(stages.map(([name]) => [name, []]));
    for (let r = 0; r < repeat; r++) {
      for (const [name, run] of stages) {
        const m = await run();
        times.get(name)!.push(m.seconds);
        cpus.get(name)!.push(m.cpu);
      }
      opts.log(
        `  breakdown ${t.table} round ${r + 1}: ${stages.map(([n]) => `${n} ${times.get(n)![r]!.toFixed(2)}s`).join(', ')}`,
      );
    }
    const copy = median(times.get('psql COPY text')!);
    for (const [stage] of stages) {
      const seconds = median(times.get(stage)!);
      figures.push({
        stage,
        table: t.table,
        seconds,
        cpuSeconds: Number(median(cpus.get(stage)!).toFixed(2)),
        rowsPerS: Math.round(t.rows / seconds),
        ofCopy: Number((copy / seconds).toFixed(3)),
      });
    }
  }
  return figures;
}

/** A stage process: `--stage <name> <args…>`, connection string in BENCH_STAGE_URL. */
export async function runStage(args: string[]): Promise<void> {
  const [stage, ...rest] = args;
  if (stage === 'write') return writeStage(rest[0]!, Number(rest[1]));
  const table = rest[0]!;
  const client = new Client({
    connectionString: process.env.BENCH_STAGE_URL,
    // The tap's session (UTC, ISO dates, …): the encode stage's fast paths depend on it.
    options: sessionOptions(),
    types: { getTypeParser: () => (v: string) => v },
  });
  await client.connect();
  const sql = `COPY ${table} TO STDOUT`;
  if (stage === 'receive') {
    await copyOut(
      client,
      sql,
      () => {},
      () => {},
    );
  } else if (stage === 'scan') {
    const n = Number(
      (
        await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_attribute WHERE attrelid = '${table}'::regclass AND attnum > 0 AND NOT attisdropped`,
        )
      ).rows[0]!.n,
    );
    const scanner = new CopyRowScanner(n, () => {});
    await copyOut(
      client,
      sql,
      (buf, s, e) => scanner.pushRow(buf, s, e),
      () => {},
    );
    scanner.end();
  } else if (stage === 'encode') {
    const intro = await queryCatalog(client, ['public']);
    const rel = intro.relations.find((r) => r.name === table)!;
    const types = typesByOid(intro.types);
    const columns = intro.columns
      .filter((c) => c.relationOid === rel.oid)
      .map((c) => ({ name: c.name, type: resolveColumnType(c, types) }));
    const body = new RowBodyEncoder(columns, 'copy');
    const prefix = Buffer.from(recordPrefix(`public-${table}`));
    const suffix = Buffer.from(recordSuffix(Date.now(), new Date().toISOString()));
    const sink = new GrowableSink(512 * 1024);
    const scanner = new CopyRowScanner(columns.length, (src, fields) => {
      putBytes(sink, prefix);
      body.write(sink, src, fields);
      putBytes(sink, suffix);
    });
    const samplePath = rest[1];
    const sample: Buffer[] = [];
    let sampled = 0;
    let bytes = 0;
    await copyOut(
      client,
      sql,
      (buf, s, e) => scanner.pushRow(buf, s, e),
      () => {
        // The buffer is reused, as the writer reuses its own once written.
        if (samplePath && sampled < SAMPLE_BYTES) {
          sample.push(Buffer.from(sink.buf.subarray(0, sink.pos)));
          sampled += sink.pos;
        }
        bytes += sink.pos;
        sink.pos = 0;
      },
    );
    bytes += sink.pos;
    if (samplePath) writeFileSync(samplePath, Buffer.concat(sample));
    process.stdout.write(JSON.stringify({ bytes }));
  }
  await client.end();
}

/** Writes `total` bytes of the sample's RECORD lines through SingerWriter to stdout. */
async function writeStage(samplePath: string, total: number): Promise<void> {
  const sample = readFileSync(samplePath);
  const writer = new SingerWriter(process.stdout);
  const CHUNK = 64 * 1024;
  let left = total;
  let at = 0;
  while (left > 0) {
    const n = Math.min(CHUNK, left, sample.length - at);
    // A copy, as the tap encodes every byte it writes into its buffer.
    writer.reserve(n);
    sample.copy(writer.buf, writer.pos, at, at + n);
    writer.pos += n;
    left -= n;
    at = at + n === sample.length ? 0 : at + n;
    if (writer.full) await writer.flush();
  }
  await writer.flush();
}
