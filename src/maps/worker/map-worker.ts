/**
 * Worker thread entry: maps chunks of a stream's source RECORD lines into its output lines, so a
 * stream map's expressions run on a core of their own while the main thread reads and converts
 * the next rows (src/maps/worker/map-worker-client.ts). The mapping is the main thread's own
 * (RecordMapping), built from the same settings: the output is the same byte for byte.
 */
import { parentPort } from 'node:worker_threads';
import { RuntimeError } from '../../errors';
import type { RecordMapping } from '../record-mapping';
import { LineSink } from './line-sink';
import { mappingForSetup } from './mapping-for-setup';
import type { MapWorkerReply, MapWorkerRequest } from './protocol';

const port = parentPort!;
const post = (m: MapWorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

/** Output buffers the main thread may hold at once (written, or waiting to be). */
const BUFFERS_KEPT = 8;
const sink = new LineSink(128 * 1024);
const mappings = new Map<number, RecordMapping>();

/**
 * One object per stream and layout: RecordView compares a record's keys with the layout's only
 * when this changes (the same encoder writes the same keys).
 */
const tokens = new Map<string, object>();
function layoutToken(id: number, layout: number): object {
  const key = `${id}:${layout}`;
  let t = tokens.get(key);
  if (!t) tokens.set(key, (t = {}));
  return t;
}

port.on('message', (m: MapWorkerRequest) => {
  switch (m.kind) {
    case 'open':
      mappings.set(m.id, mappingForSetup(m.setup, sink));
      return;
    case 'give-back':
      sink.giveBack(m.buffer, BUFFERS_KEPT);
      return;
    case 'map': {
      const lines = Buffer.from(m.lines.buffer, m.lines.byteOffset, m.lines.length);
      try {
        sink.pos = 0;
        const mapping = mappings.get(m.id)!;
        if (m.index) {
          const suffix = Buffer.from(m.suffix!.buffer, m.suffix!.byteOffset, m.suffix!.length);
          mapping.mapIndexed(lines, m.index, m.columns, layoutToken(m.id, m.layout), suffix);
        } else mapping.mapLines(lines, m.skip);
      } catch (e) {
        const runtime = e instanceof RuntimeError;
        post({ kind: 'failed', seq: m.seq, message: (e as Error).message ?? String(e), runtime });
        return;
      }
      const out = sink.take();
      const input = m.lines.buffer as ArrayBuffer;
      const index = m.index?.buffer as ArrayBuffer | undefined;
      post({ kind: 'mapped', seq: m.seq, lines: out, input, ...(index ? { index } : {}) }, [
        out.buffer as ArrayBuffer,
        input,
        ...(index ? [index] : []),
      ]);
      return;
    }
  }
});

post({ kind: 'ready' });
