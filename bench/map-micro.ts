/**
 * The `map-micro` bench: the per-record CPU of a stream map alone, in one process, without a
 * database. The narrow bench table's RECORD bodies (as the tap encodes them) are built in memory,
 * then each map is driven the way MappedStreamOutput drives it (RecordView.load of a body, the
 * map's prepare, its writeBody into a sink reused per chunk). Prints the process's CPU ns per row
 * (steadier than wall time on a shared machine; median and best over the rounds, the maps
 * alternated within each round) for: scanning only, the bench map, a map that
 * only renames and removes, and each of the bench map's expressions alone.
 *
 * `node dist-bench/bench/map-micro.js [rows] [rounds] [only]` (defaults 500000 and 7; `only`:
 * the name of one case, for a profile).
 */
import { createHash, type Hash } from 'node:crypto';
import { RecordTransform } from '../src/maps/record-transform';
import { RecordView } from '../src/maps/record-view';
import { parseStreamMapsConfig, planStream } from '../src/maps/stream-maps-config';
import { GrowableSink } from '../src/values/byte-sink';
import { MAP_CASES, NARROW_SCHEMA } from './tables';
import { cpuNsPerRow, median, runRows } from './bench-support';

const STREAM = 'public-bench_narrow';

const pad = (n: number) => String(n).padStart(2, '0');

/** Row `i` of the narrow table as the tap writes its RECORD body. */
function body(i: number): string {
  const t = new Date(Date.UTC(2024, 0, 1) + i * 1000);
  const ts = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}+00:00`;
  const cents = i % 100000;
  const amount = `${Math.floor(cents / 100)}.${pad(cents % 100)}`;
  return `"id":${i},"ts":"${ts}","label":"label ${i}","amount":${amount},"flag":${i % 2 === 0}`;
}

interface Bodies {
  readonly buf: Buffer;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

function buildBodies(rows: number): Bodies {
  const parts: Buffer[] = [];
  const starts = new Int32Array(rows);
  const ends = new Int32Array(rows);
  let p = 0;
  for (let i = 0; i < rows; i++) {
    const b = Buffer.from(body(i + 1));
    parts.push(b);
    starts[i] = p;
    p += b.length;
    ends[i] = p;
  }
  return { buf: Buffer.concat(parts), starts, ends };
}

/** Runs a case over every body; with `hash`, every output byte goes into it too (a check). */
type Run = (bodies: Bodies, hash?: Hash) => number;

/** A case: the map (null: the scan alone) made once, run over every body. */
function caseOf(def: Record<string, string | null> | null): Run {
  const view = new RecordView();
  const sink = new GrowableSink(256 * 1024);
  if (def === null) {
    return ({ buf, starts, ends }) => {
      let n = 0;
      for (let i = 0; i < starts.length; i++) n += view.load(buf, starts[i]!, ends[i]!);
      return n;
    };
  }
  const config = parseStreamMapsConfig({ [STREAM]: def }, {})!;
  const plan = planStream(config, {
    streamName: STREAM,
    schema: NARROW_SCHEMA,
    keyProperties: ['id'],
  });
  // The map's own stage, as an output of it runs it first.
  const step = new RecordTransform(plan.outputs[0]!, config.mapConfig);
  return ({ buf, starts, ends }, hash) =>
    runRows(
      starts.length,
      sink,
      (i) => {
        view.load(buf, starts[i]!, ends[i]!);
        if (step.prepare(view)) step.writeBody(sink);
      },
      hash,
    );
}

const CASES: ReadonlyArray<readonly [string, Record<string, string | null> | null]> = [
  ['scan only', null],
  ...MAP_CASES,
];

function main(): void {
  const rows = Number(process.argv[2] ?? 500000);
  const rounds = Number(process.argv[3] ?? 7);
  const only = process.argv[4];
  const bodies = buildBodies(rows);
  const cases = CASES.filter(([name]) => only === undefined || name === only).map(
    ([name, def]) => [name, caseOf(def)] as const,
  );
  if (cases.length === 0) throw new Error(`no case named ${only}`);
  const times = cpuNsPerRow(cases, bodies, rows, rounds);
  for (const [name, run] of cases) {
    const hash = createHash('sha256');
    run(bodies, hash);
    const xs = times.get(name)!;
    const best = Math.min(...xs);
    console.log(
      `${name.padEnd(24)} ${median(xs).toFixed(0).padStart(6)} ns/row (best ${best.toFixed(0)}) output ${hash.digest('hex').slice(0, 16)}`,
    );
  }
}

main();
