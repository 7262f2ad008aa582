import type { Writable } from 'node:stream';
import type { Terminal } from '../progress/live-area';
import type { StopRequest } from './signals';

/** What the CLI touches of the outside world, so tests can run `main` in-process. */
export interface CliIo {
  /** Singer messages, the catalog or the about document; nothing else. */
  readonly stdout: Writable;
  /** One log line at a time (no trailing newline). */
  readonly stderr: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Set when stderr is a terminal: a sync then draws progress bars on it. */
  readonly terminal?: Terminal;
  /** Set by SIGTERM / SIGINT (src/cli/signals.ts); absent when nothing can stop the run early. */
  readonly stop?: StopRequest;
}

/** Writes a whole document and resolves once the stream took it (respects backpressure). */
export function writeDocument(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
