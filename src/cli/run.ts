import { main } from './main';

/** The real process's io: stdout for Singer messages, stderr for log lines. */
export function run(argv: readonly string[]): Promise<number> {
  return main(argv, {
    stdout: process.stdout,
    stderr: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
  });
}
