import type { RecordSink } from '../../singer/writer';
import { GrowableSink } from '../../values/byte-sink';

/**
 * A thread's output lines for the main thread to write (a map worker's, a range-copy worker's):
 * a GrowableSink that a RecordMapping can write records into. It never asks for a flush: the
 * thread sends what it holds when it chooses.
 */
export class LineSink extends GrowableSink implements RecordSink {
  lineStart = 0;

  recordEnd(): boolean {
    return false;
  }

  appendLines(): boolean {
    throw new Error('a worker thread receives no ready-made lines');
  }
}
