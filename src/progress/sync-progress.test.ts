import type { SelectedStream } from '../catalog/stream-selection';
import { createLogger } from '../log/logger';
import { SingerWriter } from '../singer/writer';
import { PassThrough } from 'node:stream';
import { SyncProgress } from './sync-progress';

const stream = { stream: 'public-t', tapStreamId: 'public-t' } as SelectedStream;

function setup() {
  const lines: string[] = [];
  let now = 1_000;
  const writer = new SingerWriter(new PassThrough());
  const progress = new SyncProgress({
    writer,
    log: createLogger((l) => lines.push(l)),
    intervalMs: 3_600_000,
    estimates: new Map([['public-t', 100]]),
    now: () => now,
  });
  const out = writer.beginStream({
    stream: 'public-t',
    schema: {},
    keyProperties: [],
    bookmarkProperties: [],
  });
  const advance = (ms: number, records: number) => {
    now += ms;
    for (let i = 0; i < records; i++) out.record('"a":1');
  };
  return { lines, progress, advance };
}

const metrics = (lines: string[]) =>
  lines.filter((l) => l.startsWith('INFO METRIC: ')).map((l) => JSON.parse(l.slice(13)));

describe('SyncProgress', () => {
  it('logs the record_count increase per interval, then the rest and sync_duration at the end', () => {
    const { lines, progress, advance } = setup();
    progress.streamStarted(stream);
    advance(2000, 30);
    progress.tick();
    progress.tick(); // nothing new: no counter line
    advance(1500, 12);
    progress.streamFinished(stream, 'succeeded');
    progress.close();
    expect(metrics(lines)).toEqual([
      {
        type: 'counter',
        metric: 'record_count',
        value: 30,
        tags: { endpoint: 'public-t', stream: 'public-t' },
      },
      {
        type: 'counter',
        metric: 'record_count',
        value: 12,
        tags: { endpoint: 'public-t', stream: 'public-t' },
      },
      {
        type: 'timer',
        metric: 'sync_duration',
        value: 3.5,
        tags: { endpoint: 'public-t', stream: 'public-t', status: 'succeeded' },
      },
    ]);
    expect(lines).toContain(
      'INFO progress public-t: 30 of ~100 rows (30%), 15 rows/s, ETA 0:05, 0:02 elapsed',
    );
  });

  it('reports a failed stream as failed', () => {
    const { lines, progress, advance } = setup();
    progress.streamStarted(stream);
    advance(10, 1);
    progress.streamFinished(stream, 'failed');
    progress.close();
    expect(metrics(lines).at(-1).tags.status).toBe('failed');
  });
});
