import type { Terminal } from '../progress/live-area';
import { main } from './main';

/** stderr as a terminal for progress bars, unless it is not one (a pipe, a file, TERM=dumb). */
function terminal(): Terminal | undefined {
  if (!process.stderr.isTTY || process.env.TERM === 'dumb') return undefined;
  return {
    write: (text) => process.stderr.write(text),
    columns: () => process.stderr.columns || 80,
  };
}

/** The real process's io: stdout for Singer messages, stderr for log lines. */
export function run(argv: readonly string[]): Promise<number> {
  const tty = terminal();
  return main(argv, {
    stdout: process.stdout,
    stderr: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    ...(tty ? { terminal: tty } : {}),
  });
}
