import type { Terminal } from '../progress/live-area';
import { main } from './main';
import { OutputGate } from './output-gate';
import { installStopSignals, StopRequest } from './signals';

/** stderr as a terminal for progress bars, unless it is not one (a pipe, a file, TERM=dumb). */
function terminal(): Terminal | undefined {
  if (!process.stderr.isTTY || process.env.TERM === 'dumb') return undefined;
  return {
    write: (text) => process.stderr.write(text),
    columns: () => process.stderr.columns || 80,
  };
}

/**
 * The real process's io: stdout for Singer messages, stderr for log lines. `exit` (bin/'s
 * process.exit) is only used by a second SIGTERM / SIGINT, once stdout has taken the write under
 * way and nothing more will follow it.
 */
export async function run(argv: readonly string[], exit: (code: number) => void): Promise<number> {
  const tty = terminal();
  const stderr = (line: string) => void process.stderr.write(`${line}\n`);
  const stdout = new OutputGate(process.stdout);
  const stop = new StopRequest();
  const uninstall = installStopSignals(stop, stderr, (code) => {
    void stdout.close().then(() => exit(code));
  });
  try {
    return await main(argv, {
      stdout,
      stderr,
      env: process.env,
      stop,
      ...(tty ? { terminal: tty } : {}),
    });
  } finally {
    uninstall();
  }
}
