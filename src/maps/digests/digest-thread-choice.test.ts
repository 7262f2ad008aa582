import { digestThreadUse } from './digest-thread-choice';

describe('digestThreadUse', () => {
  const worker = { after: 4096, waitForReady: true };
  it.each([
    ['two cores, no map worker', {}, 2, null, true],
    ['one core', {}, 1, null, false],
    ['the map worker takes the whole map', {}, 8, worker, false],
    ['off', { TAP_POSTGRES_DIGEST_THREAD: 'off' }, 4, null, false],
    ['on, one core', { TAP_POSTGRES_DIGEST_THREAD: 'on' }, 1, null, true],
  ] as const)('%s', (_, env, cores, mapWorker, expected) => {
    expect(digestThreadUse(env, cores, mapWorker)).toBe(expected);
  });
});
