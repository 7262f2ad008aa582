import { mapWorkerAfter } from './map-worker-choice';

describe('mapWorkerAfter: where copied records of a mapped stream are mapped', () => {
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
    ['127.1.2.3 is loopback', {}, [{ host: '127.1.2.3', port: 5432 }], 2, null],
    ['1270.0.0.1 is not', {}, [{ host: '1270.0.0.1', port: 5432 }], 2, 4096],
  ] as const)('%s', (_what, env, hosts, cores, expected) => {
    expect(mapWorkerAfter(env, hosts, cores)).toBe(expected);
  });
});
