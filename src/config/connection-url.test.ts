import { parseConnectionUrl } from './connection-url';

describe('connection URLs', () => {
  it.each([
    [
      'SQLAlchemy with a driver, TLS',
      'postgresql+psycopg2://etl:s%40cret@db.example.com:6543/shop?sslmode=require',
      {
        username: 'etl',
        password: 's@cret',
        host: 'db.example.com',
        port: '6543',
        database: 'shop',
        sslmode: 'require',
      },
    ],
    [
      'libpq, no port: left to PGPORT or the default',
      'postgres://db/shop',
      { host: 'db', database: 'shop' },
    ],
    [
      "libpq's host list, one port each",
      'postgresql://u:p@db1:5432,db2:5433/shop?target_session_attrs=read-write',
      {
        username: 'u',
        password: 'p',
        host: 'db1,db2',
        port: '5432,5433',
        database: 'shop',
        target_session_attrs: 'read-write',
      },
    ],
    [
      'a host list with one port for all, IPv6',
      'postgresql://u@[::1]:6000,db2:6000/shop',
      { username: 'u', host: '::1,db2', port: '6000', database: 'shop' },
    ],
    [
      'a host list where one host has no port (5432)',
      'postgresql://db1:6000,db2/shop',
      { host: 'db1,db2', port: '6000,5432', database: 'shop' },
    ],
    [
      'hosts as parameters',
      'postgresql:///shop?host=a,b&port=1,2',
      { host: 'a,b', port: '1,2', database: 'shop' },
    ],
    [
      'psycopg 3 with certificate paths',
      'postgresql+psycopg://u@db/shop?sslmode=verify-full&sslrootcert=/etc/ca.pem&sslcert=/c.pem&sslkey=/k.pem',
      {
        username: 'u',
        host: 'db',
        database: 'shop',
        sslmode: 'verify-full',
        ssl_ca: '/etc/ca.pem',
        ssl_cert: '/c.pem',
        ssl_key: '/k.pem',
      },
    ],
    [
      "asyncpg's ssl=true",
      'postgresql+asyncpg://u:pw@db:5433/shop?ssl=true',
      {
        username: 'u',
        password: 'pw',
        host: 'db',
        port: '5433',
        database: 'shop',
        sslmode: 'require',
      },
    ],
    [
      "asyncpg's ssl=verify-full",
      'postgresql+asyncpg://db/shop?ssl=verify-full',
      { host: 'db', database: 'shop', sslmode: 'verify-full' },
    ],
    [
      'user, password and dbname as parameters',
      'postgresql://db?user=a&password=b%20c&dbname=d',
      { host: 'db', username: 'a', password: 'b c', database: 'd' },
    ],
  ])('%s', (_, url, expected) => {
    expect(parseConnectionUrl(url).settings).toEqual(expected);
  });

  it('names the parameters it ignores', () => {
    expect(
      parseConnectionUrl(
        'postgresql://db/x?connect_timeout=5&sslmode=disable&application_name=a&options=-c%20x',
      ).ignored,
    ).toEqual(['connect_timeout', 'application_name', 'options']);
  });

  it.each([
    ['not a PostgreSQL URL', 'mysql://u:secret@db/x', /not a PostgreSQL URL/],
    ['an empty host in a list', 'postgresql://u:secret@db1,,db2/x', /empty or malformed/],
  ])('rejects %s, without repeating the password', (_, url, message) => {
    let error: Error | undefined;
    try {
      parseConnectionUrl(url);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('secret');
  });
});
