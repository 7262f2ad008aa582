import { Writable } from 'node:stream';

/**
 * stdout behind a gate that closes between two writes. A pipe takes a large write in pieces, as
 * fast as its reader makes room, so exiting while one is under way leaves a torn line. Writes are
 * handed to stdout one at a time, each as it was given (the SingerWriter and the documents write
 * whole lines only); `close()` lets the one under way finish and passes nothing more, so that a
 * forced exit after it ends the output on a complete line.
 */
export class OutputGate extends Writable {
  private shut = false;
  /** Resolves once stdout has taken the write under way. */
  private underWay: Promise<void> | null = null;

  /**
   * A write's callback comes once the target's has, so when the target is a file descriptor the
   * bytes are copied by then and the writer may fill the buffer again (src/singer/writer.ts).
   */
  readonly copiesWrites: boolean;

  constructor(private readonly target: Writable) {
    super({ highWaterMark: target.writableHighWaterMark });
    this.copiesWrites = typeof (target as Writable & { fd?: unknown }).fd === 'number';
    target.on('error', (e: Error) => this.destroy(e));
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    // Never done once closed: whoever waits for it is about to be ended by the exit.
    if (this.shut) return;
    this.underWay = new Promise((taken) => {
      this.target.write(chunk, (e) => {
        this.underWay = null;
        taken();
        done(e);
      });
    });
  }

  /** Passes nothing more; resolves once the write under way, if any, is in stdout. */
  close(): Promise<void> {
    this.shut = true;
    return this.underWay ?? Promise.resolve();
  }
}
