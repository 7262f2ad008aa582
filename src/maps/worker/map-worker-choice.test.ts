import { mapWorkerUse } from './map-worker-choice';

describe('mapWorkerUse: where copied records of a mapped stream are mapped', () => {
  const local = [{ host: '127.0.0.1', port: 5432 }];
  const remote = [{ host: 'db.example.com', port: 5432 }];
  const tunnel = [{ host: '127.0.0.1', port: 40000, remote: { host: 'localhost', port: 5432 } }];
  it.each([
    ['a remote server, 2 cores', {}, remote, 2, 4096],
    ['a local server, 4 cores', {}, local, 4, 4096],
    ['a local server, 2 cores: no core to spare', {}, local, 2, null],
    ['localhost, 1 core', {}, [{ host: 'localhost', port: 5432 }], 1, null],
    ['::1, 2 cores', {}, [{ host: '::1', port: 5432 }], 2, null],
    ['a Unix socket, 2 cores', {}, [{ host: '/var/run/postgresql', port: 5432 }], 2, null],
    ['a local and a remote server, 2 cores', {}, [...local, ...remote], 2, 4096],
    ['through an SSH tunnel, 2 cores', {}, tunnel, 2, 4096],
    ['TAP_POSTGRES_MAP_WORKER=off', { TAP_POSTGRES_MAP_WORKER: 'off' }, remote, 8, null],
    ['TAP_POSTGRES_MAP_WORKER=always', { TAP_POSTGRES_MAP_WORKER: 'always' }, local, 2, 0],
    ['TAP_POSTGRES_MAP_WORKER=on', { TAP_POSTGRES_MAP_WORKER: 'on' }, local, 2, 4096],
    [
      'TAP_POSTGRES_MAP_WORKER=garbage: the default',
      { TAP_POSTGRES_MAP_WORKER: 'x' },
      local,
      2,
      null,
    ],
    ['127.1.2.3 is loopback', {}, [{ host: '127.1.2.3', port: 5432 }], 2, null],
    ['1270.0.0.1 is not', {}, [{ host: '1270.0.0.1', port: 5432 }], 2, 4096],
  ] as const)('%s', (_what, env: NodeJS.ProcessEnv, hosts, cores, expected) => {
    const use = mapWorkerUse(env, hosts, cores);
    expect(use === null ? null : use.after).toBe(expected);
    if (use) expect(use.waitForReady).toBe(env.TAP_POSTGRES_MAP_WORKER !== 'always');
  });

  it('after:N maps the first N on the main thread, then queues every record for the worker', () => {
    expect(mapWorkerUse({ TAP_POSTGRES_MAP_WORKER: 'after:5000' }, [], 2)).toEqual({
      after: 5000,
      waitForReady: false,
    });
  });
});
