/**
 * SIGTERM / SIGINT stop a sync gracefully (docs/operations.md, "Failures and stopping"): the
 * first signal asks the running stream to stop at its next safe boundary (FULL_TABLE /
 * INCREMENTAL: after a batch and its STATE; LOG_BASED: between transactions), after which the tap
 * emits a final STATE and exits 0. A second signal exits without waiting for that boundary, with
 * 128 + the signal's number, but only once the write to stdout under way is complete
 * (src/cli/output-gate.ts): the output ends on a whole line, and the last STATE printed still
 * resumes the run.
 */
export class StopRequest {
  private signal: NodeJS.Signals | undefined;

  get requested(): boolean {
    return this.signal !== undefined;
  }

  get reason(): NodeJS.Signals | undefined {
    return this.signal;
  }

  request(signal: NodeJS.Signals): void {
    this.signal ??= signal;
  }
}

/** Thrown at a safe boundary once a stop was requested; the sync loop turns it into a clean end. */
export class StopRequested extends Error {
  constructor(readonly signal: NodeJS.Signals | undefined) {
    super(`stopped by ${signal ?? 'request'}`);
  }
}

const SIGNAL_NUMBERS: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 2, SIGTERM: 15 };

/** Installs the process's handlers; returns a function that removes them. */
export function installStopSignals(
  stop: StopRequest,
  say: (line: string) => void,
  exit: (code: number) => void,
): () => void {
  const handlers = (['SIGTERM', 'SIGINT'] as const).map((sig) => {
    const handler = () => {
      if (stop.requested) {
        say(
          `WARN ${sig} again: exiting once the message being written is complete; the last STATE printed resumes the run`,
        );
        exit(128 + SIGNAL_NUMBERS[sig]);
        return;
      }
      stop.request(sig);
      say(
        `INFO ${sig} received: stopping after the current batch or transaction, then a final STATE`,
      );
    };
    process.on(sig, handler);
    return () => process.off(sig, handler);
  });
  return () => handlers.forEach((off) => off());
}
