import { hostList, targetSessionAttrsOf } from './hosts';

describe('host lists', () => {
  it.each([
    ['defaults', undefined, undefined, [{ host: 'localhost', port: 5432 }]],
    ['one host, one port', 'db', 6432, [{ host: 'db', port: 6432 }]],
    ['a port as text', 'db', '6432', [{ host: 'db', port: 6432 }]],
    [
      "libpq's comma form, one port for all",
      'db1, db2',
      5432,
      [
        { host: 'db1', port: 5432 },
        { host: 'db2', port: 5432 },
      ],
    ],
    [
      'one port per host',
      'db1,db2',
      '5432,5433',
      [
        { host: 'db1', port: 5432 },
        { host: 'db2', port: 5433 },
      ],
    ],
    [
      'an array',
      ['db1', 'db2'],
      undefined,
      [
        { host: 'db1', port: 5432 },
        { host: 'db2', port: 5432 },
      ],
    ],
  ])('%s', (_, host, port, expected) => {
    expect(hostList(host, port)).toEqual(expected);
  });

  it.each([
    ['an empty entry', 'db1,,db2', 5432, /empty entry/],
    ['ports that do not pair with the hosts', 'a,b,c', '1,2', /3 hosts/],
    ['a port out of range', 'db', 70000, /between 1 and 65535/],
    ['port zero', 'db', 0, /between 1 and 65535/],
  ])('rejects %s', (_, host, port, message) => {
    expect(() => hostList(host, port)).toThrow(message);
  });

  it('settles on any server of one, on the primary of several, unless told', () => {
    expect(targetSessionAttrsOf(undefined, hostList('db', 5432))).toBe('any');
    expect(targetSessionAttrsOf(undefined, hostList('a,b', 5432))).toBe('read-write');
    expect(targetSessionAttrsOf('prefer-standby', hostList('a,b', 5432))).toBe('prefer-standby');
    expect(targetSessionAttrsOf(undefined, hostList('a,b', 5432), true)).toBe('standby');
    expect(targetSessionAttrsOf('any', hostList('a,b', 5432), true)).toBe('any');
  });
});
