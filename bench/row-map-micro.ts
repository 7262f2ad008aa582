/**
 * The `row-map-micro` bench: the tap's CPU per narrow row from COPY text to a finished RECORD line,
 * unmapped and with the bench's stream map, in one process, without a database. The rows are the
 * narrow bench table's COPY text, built in memory; each is written the way a copy writes it (the
 * row encoder into the writer, or the stream's RecordMapping). Prints the process's CPU ns per row
 * (median and best over the rounds, the cases alternated within each round): what a map adds to a
 * row, which `npm run bench` can only show mixed with the server's work and the machine's noise.
 *
 * Each map runs in a process of its own, beside the unmapped case: in one process for all, the
 * calls that differ from map to map (the byte forms) would see every map's kinds and cost more
 * than in a run, which has one map per stream.
 *
 * `node dist-bench/bench/row-map-micro.js [rows] [rounds] [only]` (defaults 500000 and 7; `only`:
 * the name of one case besides `unmapped`, run in this process, for a profile). With a fourth
 * argument `count`, the case `only` (which may be `unmapped`) alone runs `rounds` times, untimed,
 * for bench/row-map-instructions.ts to count its instructions.
 */
import { setFlagsFromString } from 'node:v8';
import { execFileSync } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { Md5Lanes } from '../src/maps/digests/md5-lanes';
import { RecordMapping, outputOf } from '../src/maps/record-mapping';
import { parseStreamMapsConfig, planStream } from '../src/maps/stream-maps-config';
import type { RecordSink } from '../src/singer/writer';
import type { ResolvedType } from '../src/types/resolved-type';
import { GrowableSink, putBytes } from '../src/values/byte-sink';
import { RowBodyEncoder, type FieldRanges } from '../src/values/row-body-encoder';
import { cpuNsPerRow, median, runRows } from './bench-support';
import { MAP_CASES, NARROW_SCHEMA } from './tables';

// The tap's own V8 setting (bin/tap-postgres.js): it changes what V8 inlines, and so the counts.
setFlagsFromString('--optimize-for-size');

const STREAM = 'public-bench_narrow';

const type = (name: string, sqlType = name): ResolvedType => ({
  sqlType,
  base: { name, schema: 'pg_catalog', typtype: 'b', category: 'U' },
  arrayDims: 0,
  domains: [],
});

const COLUMNS = [
  { name: 'id', type: type('int8', 'bigint') },
  { name: 'ts', type: type('timestamptz', 'timestamp with time zone') },
  { name: 'label', type: type('text') },
  { name: 'amount', type: type('numeric', 'numeric(12,2)') },
  { name: 'flag', type: type('bool', 'boolean') },
];

const pad = (n: number) => String(n).padStart(2, '0');

/** Row `i` of the narrow table as COPY text sends it (the session's settings: ISO dates, UTC). */
function copyRow(i: number): string {
  const t = new Date(Date.UTC(2024, 0, 1) + i * 1000);
  const ts = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}+00`;
  const cents = i % 100000;
  return `${i}\t${ts}\tlabel ${i}\t${Math.floor(cents / 100)}.${pad(cents % 100)}\t${i % 2 === 0 ? 't' : 'f'}`;
}

interface Rows {
  readonly buf: Buffer;
  /** Row r's field c is [starts[r * 5 + c], ends[r * 5 + c]). */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

function buildRows(rows: number): Rows {
  const n = COLUMNS.length;
  const text = Array.from({ length: rows }, (_, r) => copyRow(r + 1)).join('\n');
  const buf = Buffer.from(text);
  const starts = new Int32Array(rows * n);
  const ends = new Int32Array(rows * n);
  let s = 0;
  let k = 0;
  for (let p = 0; p <= buf.length; p++) {
    if (p === buf.length || buf[p] === 0x09 || buf[p] === 0x0a) {
      starts[k] = s;
      ends[k++] = p;
      s = p + 1;
    }
  }
  return { buf, starts, ends };
}

/** A writer's stand-in: one growing buffer, emptied every CHUNK rows into the check's hash. */
class Sink extends GrowableSink implements RecordSink {
  lineStart = 0;
  /** The md5 lanes of the map writing here (a writer's barrier). */
  lanes: Md5Lanes | null = null;
  settle(): void {
    this.lanes?.settle();
  }
  recordEnd(): boolean {
    return false;
  }
  appendLines(): boolean {
    throw new Error('not used');
  }
}

const PREFIX = Buffer.from(`{"type":"RECORD","stream":"${STREAM}","record":{`);
const SUFFIX = Buffer.from(
  `},"version":1700000000000,"time_extracted":"2026-12-03T00:00:00.000Z"}\n`,
);

type Run = (rows: Rows, hash?: Hash) => number;

function caseOf(map: Record<string, string | null> | null): Run {
  const n = COLUMNS.length;
  const encoder = new RowBodyEncoder(COLUMNS, 'copy');
  const sink = new Sink(256 * 1024);
  const fields: FieldRanges = { starts: new Int32Array(n), ends: new Int32Array(n) };
  let write: () => void;
  if (map === null) {
    write = () => {
      sink.lineStart = sink.pos;
      putBytes(sink, PREFIX);
      encoder.write(sink, rowsBuf, fields);
      putBytes(sink, SUFFIX);
    };
  } else {
    const config = parseStreamMapsConfig({ [STREAM]: map }, {})!;
    const plan = planStream(config, {
      streamName: STREAM,
      schema: NARROW_SCHEMA,
      keyProperties: ['id'],
    });
    const output = outputOf(plan.outputs[0]!, config.mapConfig, []);
    sink.lanes = Md5Lanes.create();
    const mapping = new RecordMapping([output], [{ sink, prefix: PREFIX }], sink.lanes);
    const scratch = new GrowableSink(16 * 1024);
    write = () => void mapping.mapRow(scratch, encoder, rowsBuf, fields, undefined, SUFFIX);
  }
  let rowsBuf: Buffer = Buffer.alloc(0);
  return ({ buf, starts, ends }, hash) => {
    rowsBuf = buf;
    const row = (r: number) => {
      for (let c = 0; c < n; c++) {
        fields.starts[c] = starts[r * n + c]!;
        fields.ends[c] = ends[r * n + c]!;
      }
      write();
    };
    return runRows(starts.length / n, sink, row, hash);
  };
}

const CASES: ReadonlyArray<readonly [string, Record<string, string | null> | null]> = [
  ['unmapped', null],
  ...MAP_CASES,
  ['a map changing nothing', { flag: 'flag' }],
];

function main(): void {
  const rows = Number(process.argv[2] ?? 500000);
  const rounds = Number(process.argv[3] ?? 7);
  const only = process.argv[4];
  if (only === undefined) {
    for (const [name] of CASES.slice(1)) {
      const out = execFileSync(process.execPath, [__filename, String(rows), String(rounds), name]);
      process.stdout.write(out.toString('utf8'));
    }
    return;
  }
  const data = buildRows(rows);
  if (process.argv[5] === 'count') {
    const found = CASES.find(([name]) => name === only);
    if (!found) throw new Error(`no case named ${only}`);
    const run = caseOf(found[1]);
    for (let r = 0; r < rounds; r++) run(data);
    return;
  }
  const cases = CASES.filter(([name]) => name === only || name === 'unmapped').map(
    ([name, def]) => [name, caseOf(def)] as const,
  );
  if (cases.length < 2) throw new Error(`no case named ${only}`);
  const times = cpuNsPerRow(cases, data, rows, rounds);
  const base = Math.min(...times.get('unmapped')!);
  for (const [name, run] of cases) {
    const hash = createHash('sha256');
    run(data, hash);
    const xs = times.get(name)!;
    const best = Math.min(...xs);
    console.log(
      `${name.padEnd(16)} ${median(xs).toFixed(0).padStart(6)} ns/row (best ${best.toFixed(0)}, ${(best - base).toFixed(0).padStart(4)} over unmapped) output ${hash.digest('hex').slice(0, 16)}`,
    );
  }
}

main();
