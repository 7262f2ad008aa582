import { Client } from 'pg';
import { copyOut } from '../src/db/copy-out';
import { copyRowBytes } from '../src/db/copy-reader';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/*
 * The hand-written COPY TO reader (src/db/copy-out.ts) against a real server: payloads cut by the
 * socket anywhere, values far larger than a socket chunk, the server's errors mid-COPY, a consumer
 * that fails, and a consumer that is slow; after each, the connection still answers queries.
 */
describe('copyOut', () => {
  let db: TestDatabase;
  let client: Client;
  const payloads = async (sql: string, afterChunk: () => Promise<void> | void = () => {}) => {
    const got: string[] = [];
    await copyOut(client, sql, (b, s, e) => got.push(b.toString('utf8', s, e)), afterChunk);
    return got;
  };

  beforeAll(async () => {
    db = await createTestDatabase('copyout');
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('hands over every row exactly, however the socket cut the messages', async () => {
    const got = await payloads(
      `COPY (SELECT i, repeat(chr(65 + i % 26), i % 300) FROM generate_series(1, 20000) i) TO STDOUT`,
    );
    expect(got).toHaveLength(20000);
    got.forEach((row, k) => {
      const i = k + 1;
      expect(row).toBe(`${i}\t${String.fromCharCode(65 + (i % 26)).repeat(i % 300)}\n`);
    });
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('reads values many socket chunks long', async () => {
    const got = await payloads(
      `COPY (SELECT i, repeat(md5(i::text), 100000) FROM generate_series(1, 3) i) TO STDOUT`,
    );
    expect(got.map((r) => r.length)).toEqual([3_200_003, 3_200_003, 3_200_003]);
    expect(got[2]!.startsWith('3\teccbc87e')).toBe(true);
  });

  it("rejects with the server's error raised mid-COPY, and the connection stays usable", async () => {
    const got: string[] = [];
    await expect(
      copyOut(
        client,
        `COPY (SELECT i, 1 / (i - 5000) FROM generate_series(1, 10000) i) TO STDOUT`,
        (b, s, e) => got.push(b.toString('utf8', s, e)),
        () => {},
      ),
    ).rejects.toThrow(/division by zero/);
    expect(got.length).toBeLessThan(5000);
    expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });

  it('rejects with a failing consumer, drops the rest, and the connection stays usable', async () => {
    let n = 0;
    await expect(
      copyRowBytes(client, 'SELECT i FROM generate_series(1, 50000) i', 1, () => {
        n += 1;
        if (n === 100) throw new Error('consumer failed');
      }),
    ).rejects.toThrow('consumer failed');
    expect(n).toBe(100);
    await expect(
      copyRowBytes(
        client,
        'SELECT i FROM generate_series(1, 50000) i',
        1,
        () => {},
        () => Promise.reject(new Error('flush failed')),
      ),
    ).rejects.toThrow('flush failed');
    expect((await client.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
  });

  it('reads no further while the consumer is behind', async () => {
    let waits = 0;
    let inFlight = false;
    let rows = 0;
    await copyRowBytes(
      client,
      'SELECT i, repeat($$x$$, 200) FROM generate_series(1, 30000) i',
      2,
      () => {
        expect(inFlight).toBe(false); // no row arrives while a wait is pending
        rows += 1;
      },
      () => {
        waits += 1;
        inFlight = true;
        return new Promise<void>((resolve) =>
          setTimeout(() => {
            inFlight = false;
            resolve();
          }, 1),
        );
      },
    );
    expect(rows).toBe(30000);
    expect(waits).toBeGreaterThan(10);
  });
});
