import { PassThrough } from 'node:stream';
import { Client } from 'pg';
import { normalizeConfig } from '../config/normalize-config';
import { silentLogger } from '../log/logger';
import { SingerWriter } from '../singer/writer';
import { EMPTY_STATE } from '../state/tap-state';
import { SyncContext } from './sync-context';

/** A context on a client that never connects (nothing here queries), with a clock set by hand. */
function context(stateIntervalSeconds: number | undefined) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const writer = new SingerWriter(out);
  const config = normalizeConfig({
    database: 'db',
    username: 'u',
    ...(stateIntervalSeconds === undefined ? {} : { state_interval_seconds: stateIntervalSeconds }),
  });
  const clock = { ms: 0 };
  const ctx = new SyncContext(
    new Client(),
    writer,
    config,
    silentLogger,
    config.valuePolicy,
    undefined,
    EMPTY_STATE,
    undefined,
    undefined,
    () => clock.ms,
  );
  const states = async () => {
    await writer.flush();
    return Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          (JSON.parse(l) as { value: { bookmarks: Record<string, { version: number }> } }).value,
      );
  };
  return { ctx, clock, states };
}

describe('SyncContext STATE emission', () => {
  it('writes a STATE at a resumable point only once the interval has passed since the last', async () => {
    const { ctx, clock, states } = context(undefined); // the default, 1 s
    clock.ms = 500;
    expect(ctx.emitState()).toBe(false);
    ctx.checkpoint('public-a', { version: 1 });
    clock.ms = 999;
    ctx.checkpoint('public-b', { version: 2 });
    expect(await states()).toEqual([]);
    clock.ms = 1000;
    ctx.checkpoint('public-c', { version: 3 });
    clock.ms = 1999;
    ctx.checkpoint('public-c', { version: 4 });
    // The bookmarks held back in between are in the next STATE.
    expect((await states()).map((s) => Object.keys(s.bookmarks))).toEqual([
      ['public-a', 'public-b', 'public-c'],
    ]);
    ctx.emitStateNow();
    expect((await states()).map((s) => s.bookmarks['public-c']!.version)).toEqual([3, 4]);
  });

  it('writes a STATE at every resumable point with state_interval_seconds 0, never the same twice', async () => {
    const { ctx, states } = context(0);
    ctx.checkpoint('public-a', { version: 1 });
    ctx.checkpoint('public-a', { version: 2 });
    expect(ctx.emitState()).toBe(true);
    ctx.emitStateNow();
    expect((await states()).map((s) => s.bookmarks['public-a']!.version)).toEqual([1, 2]);
  });

  it('after a failure writes the STATE held back at the last resumable point, unless a bookmark moved since', async () => {
    const held = context(60);
    held.ctx.checkpoint('public-a', { version: 1 });
    held.ctx.setCurrentlySyncing('public-b');
    held.ctx.emitHeldState();
    expect((await held.states()).map((s) => s.bookmarks)).toEqual([{ 'public-a': { version: 1 } }]);

    const moved = context(60);
    moved.ctx.checkpoint('public-a', { version: 1 });
    moved.ctx.setBookmark('public-a', { version: 2 }); // its records may not be written
    moved.ctx.emitHeldState();
    expect(await moved.states()).toEqual([]);
  });
});
