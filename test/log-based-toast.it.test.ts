import { lastState, records } from './support/catalog-helpers';
import { logBasedFixture, type LogBasedFixture } from './support/log-based-fixture';

/** `n` kB of chained md5: hex text pglz cannot compress, so it really is stored out of line. */
const noise = (seed: string, kb: number) =>
  `(SELECT string_agg(md5('${seed}' || g::text), '') FROM generate_series(1, ${kb * 32}) AS g)`;

/**
 * An UPDATE that does not touch an out-of-line value sends it as "unchanged" (pgoutput `u`): the
 * record must still carry it, from the old tuple (REPLICA IDENTITY FULL) or read by key.
 */
describe('LOG_BASED unchanged TOAST values', () => {
  let f: LogBasedFixture;
  let state: unknown;
  const body = async (table: string, id: number) =>
    (await f.db.query<{ body: string }>(`SELECT body FROM ${table} WHERE id = $1`, [id]))[0]!.body;

  beforeAll(async () => {
    f = await logBasedFixture(
      'toast',
      `CREATE TABLE docs (id int PRIMARY KEY, n int, body text);
       CREATE TABLE docs_full (id int PRIMARY KEY, n int, body text);
       ALTER TABLE docs_full REPLICA IDENTITY FULL;
       CREATE TABLE many (a int, b text, n int, body text, PRIMARY KEY (a, b));
       ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
       ALTER TABLE docs_full ALTER COLUMN body SET STORAGE EXTERNAL;
       ALTER TABLE many ALTER COLUMN body SET STORAGE EXTERNAL;
       INSERT INTO docs VALUES (1, 0, ${noise('a', 1024)}), (2, 0, 'short');
       INSERT INTO docs_full VALUES (1, 0, ${noise('b', 1024)});
       INSERT INTO many SELECT g, 'k' || g, 0, ${noise('c', 3)} || g FROM generate_series(1, 2500) AS g;
       CREATE PUBLICATION tap_postgres FOR TABLE docs, docs_full, many;`,
    );
    await f.select({ 'public-docs': {}, 'public-docs_full': {}, 'public-many': {} });
    const first = await f.run();
    expect(first.code).toBe(0);
    state = lastState(first.msgs);
    // the values really are out of line: their stored size is the text's, nothing compressed
    const [row] = await f.db.query<{ stored: number }>(
      `SELECT pg_column_size(body) AS stored FROM docs WHERE id = 1`,
    );
    expect(row!.stored).toBeGreaterThanOrEqual(1024 * 1024);
  });
  afterAll(async () => {
    await f.db.drop();
  });

  it('REPLICA IDENTITY DEFAULT: the 1 MB value is read by key; FULL: it comes from the old tuple', async () => {
    await f.db.query(`UPDATE docs SET n = 1 WHERE id = 1`);
    await f.db.query(`UPDATE docs_full SET n = 1 WHERE id = 1`);
    const fullBefore = await body('docs_full', 1);
    // A later change of the value itself: the first update's record must still carry the old one,
    // which only the old tuple knows (a read by key would return the new value).
    await f.db.query(`UPDATE docs_full SET body = 'replaced' WHERE id = 1`);
    const r = await f.run(state, {}, ['--log-level', 'debug']);
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    const [doc] = records(r.msgs, 'public-docs');
    expect(doc!.n).toBe(1);
    expect((doc!.body as string).length).toBe(1024 * 1024);
    expect(doc!.body).toBe(await body('docs', 1));
    const full = records(r.msgs, 'public-docs_full');
    expect(full.map((x) => x.n)).toEqual([1, 1]);
    expect((full[0]!.body as string).length).toBe(1024 * 1024);
    expect(full[0]!.body).toBe(fullBefore);
    expect(full[1]!.body).toBe('replaced');
    expect(r.stderr).toMatch(/fetched 1 unchanged TOAST value\(s\) by key in 1 query/);
    state = lastState(r.msgs);
  });

  it('2,500 rows updated in one transaction: every record carries its value, read in batches of 1,000 keys', async () => {
    await f.db.query(`UPDATE many SET n = 1`);
    const r = await f.run(state, {}, ['--log-level', 'debug']);
    expect(r.code).toBe(0);
    const recs = records(r.msgs, 'public-many');
    expect(recs.length).toBe(2500);
    const source = new Map(
      (await f.db.query<{ a: number; body: string }>(`SELECT a, body FROM many`)).map((x) => [
        x.a,
        x.body,
      ]),
    );
    expect(recs.every((x) => x.n === 1 && x.body === source.get(x.a as number))).toBe(true);
    expect((recs[0]!.body as string).length).toBeGreaterThan(3000);
    // composite key (a, b): three queries of at most 1,000 keys
    expect(r.stderr).toMatch(/fetched 2500 unchanged TOAST value\(s\) by key in 3 queries/);
  });
});
