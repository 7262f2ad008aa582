import { lastState, records, replay, type Message } from './support/catalog-helpers';
import { wal2jsonServerUrl, wal2jsonSkipped } from './support/debian-server';
import { logBasedFixture, type LogBasedFixture } from './support/log-based-fixture';
import { recordSchemaErrors } from './support/record-schemas';

/**
 * Generated columns are in the stream's schema, but pgoutput publishes them only from PostgreSQL
 * 18 and only with `publish_generated_columns`: before, the tap reads them by key. wal2json sends
 * them itself. Runs on every server version the LOG_BASED suite runs on (14, 17, 18).
 */
const SETUP = `
  CREATE TABLE orders (
    id int PRIMARY KEY,
    qty int,
    price int,
    total int GENERATED ALWAYS AS (qty * price) STORED,
    label text GENERATED ALWAYS AS ('#' || id::text) STORED);
  INSERT INTO orders (id, qty, price) VALUES (1, 2, 3), (2, 1, 10);`;

const CHANGES = [
  `INSERT INTO orders (id, qty, price) VALUES (3, 4, 5), (4, 1, 1)`,
  `UPDATE orders SET qty = 5 WHERE id = 1`,
  `UPDATE orders SET id = 20 WHERE id = 2`,
  `DELETE FROM orders WHERE id = 3`,
  // read after the row is gone: the update's generated values cannot be read any more
  `UPDATE orders SET qty = 9 WHERE id = 4`,
  `DELETE FROM orders WHERE id = 4`,
];

type Variant =
  'pgoutput, publication made by the tap' | 'pgoutput, existing publication' | 'wal2json';
const variants: Variant[] = [
  'pgoutput, publication made by the tap',
  'pgoutput, existing publication',
  ...(wal2jsonSkipped() ? [] : (['wal2json'] as const)),
];

describe.each(variants)('LOG_BASED generated columns (%s)', (variant) => {
  let f: LogBasedFixture;
  let first: Message[];
  let major: number;

  beforeAll(async () => {
    const wal2json = variant === 'wal2json';
    f = await logBasedFixture(
      'gencols',
      variant === 'pgoutput, existing publication'
        ? `${SETUP} CREATE PUBLICATION tap_postgres FOR TABLE orders;`
        : SETUP,
      wal2json
        ? { admin: wal2jsonServerUrl(), config: { logical_decoding_plugin: 'wal2json' } }
        : { config: { create_publication: true } },
    );
    major =
      Number(
        (await f.db.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`))[0]!
          .v,
      ) / 10000;
    await f.select({ 'public-orders': {} });
    const r = await f.run();
    expect(r.stderr).not.toMatch(/CRITICAL/);
    first = r.msgs;
  });
  afterAll(async () => {
    await f?.db.drop();
  });

  it('every record carries the generated values of its row; deletes carry them as null', async () => {
    for (const sql of CHANGES) await f.db.query(sql);
    const r = await f.run(lastState(first), {}, ['--log-level', 'debug']);
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    const all = [...first, ...r.msgs];
    expect(recordSchemaErrors(all)).toEqual([]);

    const recs = records(r.msgs, 'public-orders');
    const rows = recs.filter((x) => !x._sdc_deleted_at);
    for (const x of rows) {
      expect(x.total).toBe((x.qty as number) * (x.price as number));
      expect(x.label).toBe(`#${x.id as number}`);
    }
    for (const x of recs.filter((y) => y._sdc_deleted_at)) {
      expect(x.total).toBeNull();
      expect(x.label).toBeNull();
    }
    const source = await f.db.query<Record<string, unknown>>(`SELECT * FROM orders ORDER BY id`);
    const target = [...replay(all, 'id').values()].sort(
      (a, b) => (a.id as number) - (b.id as number),
    );
    expect(target).toEqual(source);

    // Who supplies the values: wal2json and PostgreSQL 18's publication option send them, else
    // the tap reads them by key and leaves out the update whose row was gone by then.
    const sent = variant === 'wal2json' || (major >= 18 && variant.includes('made by the tap'));
    if (sent) {
      expect(r.stderr).not.toMatch(/fetched \d+ unchanged/);
      expect(rows.map((x) => [x.id, x.qty])).toEqual([
        [3, 4],
        [4, 1],
        [1, 5],
        [20, 1],
        [4, 9],
      ]);
    } else {
      // rows 3 and 4 were deleted before the run read them: their insert and update are left out,
      // and their deletes follow
      expect(r.stderr).toMatch(
        /2 change\(s\) of the transaction at \S+ left out: their row no longer exists/,
      );
      expect(r.stderr).toMatch(/1 change\(s\) of the transaction at \S+ left out/);
      expect(rows.map((x) => [x.id, x.qty])).toEqual([
        [1, 5],
        [20, 1],
      ]);
    }
    if (major >= 18 && variant === 'pgoutput, existing publication') {
      expect(r.stderr).toMatch(
        /publication 'tap_postgres' does not publish the generated columns of "public"\."orders".*ALTER PUBLICATION "tap_postgres" SET \(publish_generated_columns = stored\);/,
      );
    }
  });
});

describe('LOG_BASED virtual generated columns (PostgreSQL 18+)', () => {
  it('are never published: read by key', async () => {
    const probe = await logBasedFixture('genvirt', 'SELECT 1', {
      config: { create_publication: true },
    });
    try {
      const [row] = await probe.db.query<{ v: string }>(
        `SELECT current_setting('server_version_num') AS v`,
      );
      if (Number(row!.v) < 180000) return; // virtual generated columns are new in 18
      await probe.db.query(
        `CREATE TABLE virt (id int PRIMARY KEY, qty int, doubled int GENERATED ALWAYS AS (qty * 2) VIRTUAL);
         INSERT INTO virt (id, qty) VALUES (1, 1)`,
      );
      await probe.select({ 'public-virt': {} });
      const first = await probe.run();
      expect(first.code).toBe(0);
      await probe.db.query(
        `INSERT INTO virt (id, qty) VALUES (2, 5); UPDATE virt SET qty = 3 WHERE id = 1`,
      );
      const r = await probe.run(lastState(first.msgs));
      expect(r.code).toBe(0);
      expect(recordSchemaErrors([...first.msgs, ...r.msgs])).toEqual([]);
      expect(records(r.msgs).map((x) => [x.id, x.qty, x.doubled])).toEqual([
        [2, 5, 10],
        [1, 3, 6],
      ]);
    } finally {
      await probe.db.drop();
    }
  });
});
