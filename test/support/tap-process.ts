import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Message } from './catalog-helpers';
import { BIN } from './run-tap';

/**
 * The built tap as a child process whose stdout the test reads line by line, as a target would:
 * the test decides when to stop reading, kill it, signal it or close the pipe. Needs
 * `npm run build` (which `npm test` does first).
 */
export interface TapProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every message read so far, in order. */
  readonly messages: Message[];
  /** Resolves with the first message read for which `pred` holds (null if the tap exits first). */
  until(pred: (m: Message, i: number) => boolean): Promise<Message | null>;
  /** Stops reading stdout: the pipe fills and the tap blocks writing, as with a stalled target. */
  pause(): void;
  resume(): void;
  /** Reads on to the end of stdout: resolves once every line is in `messages`. */
  drain(): Promise<void>;
  /** Resolves once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/**
 * SIGKILLs every tap a test started and left running (a failed expectation before it ended):
 * a paused child would otherwise keep jest from exiting. Test files call it in afterEach.
 */
export async function killLeftoverTaps(): Promise<void> {
  const left = [...running];
  for (const c of left) c.kill('SIGKILL');
  await Promise.all(
    left.map((c) => new Promise((r) => (c.exitCode === null ? c.on('close', r) : r(null)))),
  );
}

export function startTap(argv: string[], env: NodeJS.ProcessEnv = {}): TapProcess {
  const child = spawn(process.execPath, [BIN, ...argv], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('close', () => running.delete(child));
  const messages: Message[] = [];
  const err: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => err.push(c));
  let waiter: {
    pred: (m: Message, i: number) => boolean;
    done: (m: Message | null) => void;
  } | null = null;
  let closed = false;
  const rl = createInterface({ input: child.stdout });
  const linesEnded = new Promise<void>((resolve) => rl.on('close', resolve));
  rl.on('line', (l) => {
    let m: Message;
    try {
      m = JSON.parse(l) as Message;
    } catch {
      // A SIGKILL can cut the last line short (a pipe write is atomic only up to PIPE_BUF): a
      // target sees the same torn line, and no STATE after it, so the test ignores it too.
      return;
    }
    messages.push(m);
    if (waiter?.pred(m, messages.length - 1)) {
      const w = waiter;
      waiter = null;
      w.done(m);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      closed = true;
      waiter?.done(null);
      waiter = null;
      resolve({ code, signal });
    }),
  );
  return {
    child,
    messages,
    until(pred) {
      const hit = messages.findIndex((m, i) => pred(m, i));
      if (hit >= 0) return Promise.resolve(messages[hit]!);
      if (closed) return Promise.resolve(null);
      return new Promise((done) => (waiter = { pred, done }));
    },
    pause() {
      rl.pause();
      child.stdout.pause();
    },
    resume() {
      rl.resume();
      child.stdout.resume();
    },
    drain() {
      rl.resume();
      child.stdout.resume();
      return linesEnded;
    },
    exited,
    stderr: () => Buffer.concat(err).toString('utf8'),
  };
}

/**
 * Reads until `pred` holds (or, with `idleMs`, until no line came for that long: a kill while the
 * tap waits for changes), then stops reading (what the "target" saw ends there) and SIGKILLs the
 * tap. `killed` says whether the tap was still running, i.e. whether this was a real kill.
 */
export async function killWhen(
  argv: string[],
  pred: (m: Message, i: number) => boolean,
  idleMs?: number,
): Promise<{ seen: Message[]; killed: boolean; code: number | null; stderr: string }> {
  const tap = startTap(argv);
  let idle: NodeJS.Timeout | undefined;
  const quiet = new Promise<'idle'>((resolve) => {
    if (idleMs === undefined) return;
    let n = -1;
    let since = Date.now();
    idle = setInterval(() => {
      if (tap.messages.length !== n) [n, since] = [tap.messages.length, Date.now()];
      else if (Date.now() - since >= idleMs) resolve('idle');
    }, 100);
  });
  const hit = await Promise.race([tap.until(pred), quiet]);
  clearInterval(idle);
  let seen = tap.messages;
  if (hit) {
    tap.pause();
    seen =
      hit === 'idle' ? [...tap.messages] : tap.messages.slice(0, tap.messages.indexOf(hit) + 1);
    tap.child.kill('SIGKILL');
  }
  const { code, signal } = await tap.exited;
  if (hit && signal !== 'SIGKILL') {
    // The tap ended on its own before the kill reached it: what it printed after the point is
    // output a target read too, and the run counts as complete, so nothing of it may be left out.
    await tap.drain();
    seen = [...tap.messages];
  }
  return { seen, killed: signal === 'SIGKILL', code, stderr: tap.stderr() };
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same fault points. */
export function seededRandom(seed: number): (lo: number, hi: number) => number {
  let a = seed >>> 0;
  return (lo, hi) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + Math.floor(r * (hi - lo + 1));
  };
}
