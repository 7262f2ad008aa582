import { RuntimeError } from '../errors';
import { silentLogger } from '../log/logger';
import { backoffMs, isTransientConnectionError, withRetries } from './retry';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isTransientConnectionError', () => {
  it.each([
    ['admin shutdown', pgError('57P01')],
    ['starting up', pgError('57P03')],
    ['connection exception class', pgError('08006')],
    ['socket reset', pgError('ECONNRESET')],
    ['refused while restarting', new RuntimeError('cannot connect', 'ECONNREFUSED')],
    ['slot still held', pgError('55006')],
    ['socket closed without a code', new Error('Connection terminated unexpectedly')],
  ])('%s: retried', (_, e) => expect(isTransientConnectionError(e)).toBe(true));

  it.each([
    ['syntax error', pgError('42601')],
    ['privileges', pgError('42501')],
    ['bad password', new RuntimeError('password authentication failed', '28P01')],
    ['slot missing', new RuntimeError('replication slot does not exist')],
    ['output closed', new RuntimeError('stdout closed (EPIPE)')],
  ])('%s: not retried', (_, e) => expect(isTransientConnectionError(e)).toBe(false));
});

describe('withRetries', () => {
  const noSleep = () => Promise.resolve();

  it('recovers and runs the attempt again after a transient failure', async () => {
    let calls = 0;
    let recovered = 0;
    const result = await withRetries(
      'x',
      { retries: 3, backoffSeconds: 1 },
      silentLogger,
      async () => {
        calls += 1;
        if (calls < 3) throw pgError('57P01');
        return 'done';
      },
      async () => void (recovered += 1),
      noSleep,
    );
    expect([result, calls, recovered]).toEqual(['done', 3, 2]);
  });

  it('gives up after the last retry with the last error', async () => {
    let calls = 0;
    const run = withRetries(
      'x',
      { retries: 2, backoffSeconds: 1 },
      silentLogger,
      async () => {
        calls += 1;
        throw pgError('57P01', `fail ${calls}`);
      },
      async () => {},
      noSleep,
    );
    await expect(run).rejects.toThrow('fail 3');
  });

  it('never retries other errors', async () => {
    let calls = 0;
    const run = withRetries(
      'x',
      { retries: 5, backoffSeconds: 1 },
      silentLogger,
      async () => {
        calls += 1;
        throw pgError('42P01');
      },
      async () => {},
      noSleep,
    );
    await expect(run).rejects.toThrow();
    expect(calls).toBe(1);
  });

  it('backs off exponentially, at most a minute', () => {
    const p = { retries: 10, backoffSeconds: 1 };
    expect([0, 1, 2, 3, 9].map((r) => backoffMs(p, r))).toEqual([1000, 2000, 4000, 8000, 60_000]);
  });
});
