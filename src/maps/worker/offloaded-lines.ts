import type { PendingLines } from '../../singer/writer';

/**
 * A job for the map worker in its place among the writer's lines: source lines gather until it is
 * submitted (full, or something else was written after it, or the writer flushes it), then the
 * worker's output lines stand where it stands.
 */
export class OffloadedLines implements PendingLines {
  private result: Promise<Buffer> | undefined;
  private made: Buffer | undefined;

  constructor(
    /** Sends the gathered source lines to the worker; resolves to the output lines. */
    private readonly send: () => Promise<Buffer>,
    /** The output lines have been written: their buffer can go back to the worker. */
    private readonly onRelease: (lines: Buffer) => void,
  ) {}

  get submitted(): boolean {
    return this.result !== undefined;
  }

  /** Sends the job (once); later records go to another job. */
  submit(): Promise<Buffer> {
    if (this.result === undefined) {
      this.result = this.send();
      // Handled here so that a failure is not unhandled while it waits for the writer's flush,
      // which rejects with it.
      this.result.then(
        (lines) => (this.made = lines),
        () => {},
      );
    }
    return this.result;
  }

  lines(): Promise<Buffer> {
    return this.submit();
  }

  release(): void {
    if (this.made) this.onRelease(this.made);
    this.made = undefined;
  }
}
