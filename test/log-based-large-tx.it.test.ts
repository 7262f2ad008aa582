import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastState, records } from './support/catalog-helpers';
import { logBasedFixture, type LogBasedFixture } from './support/log-based-fixture';

/**
 * A transaction larger than transaction_spill_threshold_mb waits for its commit in a temporary
 * file: every change is emitted exactly once and in order, and no file is left behind.
 */
describe('LOG_BASED large transactions', () => {
  let f: LogBasedFixture;
  let state: unknown;

  beforeAll(async () => {
    f = await logBasedFixture(
      'largetx',
      `CREATE TABLE wide (id int PRIMARY KEY, v text);
       CREATE PUBLICATION tap_postgres FOR TABLE wide;`,
    );
    await f.select({ 'public-wide': {} });
    const r = await f.run();
    expect(r.code).toBe(0);
    state = lastState(r.msgs);
  });
  afterAll(async () => {
    await f.db.drop();
  });

  it('50,000 inserts, then updates and deletes, in one transaction past a 1 MB threshold', async () => {
    await f.db.query(`BEGIN;
      INSERT INTO wide SELECT g, 'row ' || g || ' ' || md5(g::text) FROM generate_series(1, 50000) AS g;
      UPDATE wide SET v = 'updated' WHERE id % 1000 = 0;
      DELETE FROM wide WHERE id % 10000 = 1;
      COMMIT;`);
    const tmp = mkdtempSync(join(tmpdir(), 'tap-spill-'));
    const r = await f.spawn(state, { transaction_spill_threshold_mb: 1 }, { TMPDIR: tmp });
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/passed transaction_spill_threshold_mb \(1 MB\) at \d+ changes/);
    expect(r.stderr).toMatch(/emitting a transaction of 50055 changes \(\d+ MB on disk\)/);
    const recs = records(r.msgs, 'public-wide');
    const expected = [
      ...Array.from({ length: 50000 }, (_, i) => `${i + 1} row ${i + 1}`),
      ...Array.from({ length: 50 }, (_, i) => `${(i + 1) * 1000} updated`),
      ...Array.from({ length: 5 }, (_, i) => `${i * 10000 + 1} deleted`),
    ];
    expect(
      recs.map((x) =>
        x._sdc_deleted_at
          ? `${x.id} deleted`
          : `${x.id} ${x.v === 'updated' ? 'updated' : (x.v as string).split(' ').slice(0, 2).join(' ')}`,
      ),
    ).toEqual(expected);
    expect(recs[41]!.v).toBe(`row 42 ${'a1d0c6e83f027327d8461063f4ac58a6'}`);
    expect(new Set(recs.map((x) => x._sdc_lsn)).size).toBe(1);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
