/**
 * The `row-map-instructions` bench: the instructions a narrow row costs, by function, unmapped and
 * with one map of bench/row-map-micro.ts, counted by valgrind's callgrind. Unlike CPU time on a
 * shared machine, the counts repeat from run to run to within a few instructions a function, so a
 * change of 1% of a row shows; an instruction is not a nanosecond (a division is worth many, SIMD
 * work few), so a change it shows is then confirmed with the timed benches.
 *
 * Each case runs in two processes under callgrind, with ROUNDS_A and ROUNDS_B rounds over the same
 * rows; the difference divided by the extra rows is what a row costs once the code is warm (start,
 * compilation and the rows' making cancel out). JIT code has no symbols for valgrind: its addresses
 * are named from the map file `node --perf-basic-prof` writes.
 *
 * `node dist-bench/bench/row-map-instructions.js [case …]` (default: `unmapped` and `bench map`;
 * the case names are row-map-micro's). Needs `valgrind` (Debian's package) on the PATH; about two
 * minutes a case.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROWS = 20000;
const ROUNDS_A = 4;
const ROUNDS_B = 10;
const MICRO = join(__dirname, 'row-map-micro.js');

interface CodeRange {
  readonly start: number;
  readonly size: number;
  readonly name: string;
}

/** A perf map file's code ranges (`start size name` per line, hex), sorted by start. */
function codeRanges(path: string): CodeRange[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [start, size, ...name] = l.split(' ');
      return { start: parseInt(start!, 16), size: parseInt(size!, 16), name: name.join(' ') };
    })
    .sort((a, b) => a.start - b.start);
}

function nameAt(ranges: readonly CodeRange[], address: number): string | undefined {
  let lo = 0;
  let hi = ranges.length - 1;
  let found: CodeRange | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid]!.start <= address) {
      found = ranges[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found && address < found.start + found.size ? found.name : undefined;
}

/** Instructions by function of one run of `name` for `rounds` rounds. */
function countRun(dir: string, name: string, rounds: number): Map<string, number> {
  const out = join(dir, `callgrind.${rounds}.out`);
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${out}`,
      // V8 writes and rewrites code at run time.
      '--smc-check=all-non-file',
      process.execPath,
      '--single-threaded',
      '--perf-basic-prof',
      MICRO,
      String(ROWS),
      String(rounds),
      name,
      'count',
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.status !== 0) throw new Error(`valgrind failed: ${run.stderr.slice(-2000)}`);
  const ranges = codeRanges(`/tmp/perf-${run.pid}.map`);
  rmSync(`/tmp/perf-${run.pid}.map`, { force: true });
  const text = execFileSync('callgrind_annotate', ['--threshold=100', out], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const byFunction = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \([\s\d.]+%\)\s+(.*)$/.exec(line);
    if (!m) continue;
    let fn = m[2]!;
    const address = /^\?\?\?:0x([0-9a-f]+)/.exec(fn);
    // What the map does not name is WebAssembly (the md5 lanes' module), at another address in
    // each process: one name for all of it.
    if (address)
      fn = nameAt(ranges, parseInt(address[1]!, 16)) ?? '(code without a name: WebAssembly)';
    fn = fn.replace(/ \[[^\]]*\]$/, '').replace(/^\?\?\?:/, '');
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + Number(m[1]!.replace(/,/g, '')));
  }
  return byFunction;
}

function main(): void {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.error('row-map-instructions: needs valgrind (apt-get install valgrind)');
    process.exitCode = 2;
    return;
  }
  const names = process.argv.length > 2 ? process.argv.slice(2) : ['unmapped', 'bench map'];
  const dir = mkdtempSync(join(tmpdir(), 'row-map-instructions-'));
  try {
    const totals: Array<[string, number]> = [];
    for (const name of names) {
      const a = countRun(dir, name, ROUNDS_A);
      const b = countRun(dir, name, ROUNDS_B);
      const rows = ROWS * (ROUNDS_B - ROUNDS_A);
      const perRow = [...new Set([...a.keys(), ...b.keys()])]
        .map((fn) => [fn, ((b.get(fn) ?? 0) - (a.get(fn) ?? 0)) / rows] as const)
        .filter(([, n]) => Math.abs(n) >= 20)
        .sort((x, y) => y[1] - x[1]);
      console.log(`${name}: instructions per row`);
      for (const [fn, n] of perRow) console.log(`${n.toFixed(0).padStart(8)}  ${fn.slice(0, 110)}`);
      totals.push([name, perRow.find(([fn]) => fn === 'PROGRAM TOTALS')?.[1] ?? NaN]);
    }
    const base = totals.find(([n]) => n === 'unmapped')?.[1];
    for (const [name, total] of totals) {
      const over =
        base === undefined || name === 'unmapped'
          ? ''
          : `, ${(total - base).toFixed(0)} over unmapped`;
      console.log(`${name.padEnd(24)} ${total.toFixed(0)} instructions per row${over}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
