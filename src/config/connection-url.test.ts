import { parseConnectionUrl } from './connection-url';

describe('connection URLs', () => {
  it.each([
    [
      'SQLAlchemy with a driver, TLS',
      'postgresql+psycopg2://etl:s%40cret@db.example.com:6543/shop?sslmode=require',
      {
        user: 'etl',
        password: 's@cret',
        host: 'db.example.com',
        port: '6543',
        dbname: 'shop',
        sslmode: 'require',
      },
    ],
    ['libpq, defaults', 'postgres://db/shop', { host: 'db', port: '5432', dbname: 'shop' }],
    [
      "libpq's host list, one port each",
      'postgresql://u:p@db1:5432,db2:5433/shop?target_session_attrs=read-write',
      {
        user: 'u',
        password: 'p',
        host: 'db1,db2',
        port: '5432,5433',
        dbname: 'shop',
        target_session_attrs: 'read-write',
      },
    ],
    [
      'a host list with one port for all, IPv6',
      'postgresql://u@[::1]:6000,db2:6000/shop',
      { user: 'u', host: '::1,db2', port: '6000', dbname: 'shop' },
    ],
    [
      'hosts as parameters',
      'postgresql:///shop?host=a,b&port=1,2',
      { host: 'a,b', port: '1,2', dbname: 'shop' },
    ],
  ])('%s', (_, url, expected) => {
    expect(parseConnectionUrl(url).settings).toEqual(expected);
  });

  it('names the parameters it ignores', () => {
    expect(
      parseConnectionUrl('postgresql://db/x?connect_timeout=5&sslmode=disable').ignored,
    ).toEqual(['connect_timeout']);
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
