import { Client } from 'pg';
import { lastState, records, type Message } from './support/catalog-helpers';
import { logBasedFixture } from './support/log-based-fixture';

/**
 * A walsender decodes again from the slot's restart_lsn, which an open transaction holds back,
 * however far the state's position is. Reading that stretch it sends only keepalives; the run must
 * take them as progress, not idleness, or it ends before reaching anything new — and so does every
 * later run. Here 3,000,000 inserts lie between the two, a few seconds of decoding, and
 * `logical_poll_total_seconds` is 2.
 */
it('a run whose walsender first reads far below the state position waits for it and gets the new change', async () => {
  const f = await logBasedFixture(
    'catchup',
    `CREATE TABLE t (id int PRIMARY KEY, v text);
     CREATE TABLE pin (id int);
     CREATE TABLE junk (id int);
     INSERT INTO t VALUES (1, 'a');
     CREATE PUBLICATION tap_postgres FOR TABLE t;`,
  );
  const pin = new Client({ connectionString: f.db.url });
  try {
    await f.select({ 'public-t': {} });
    const first = await f.run();
    expect(first.code).toBe(0);
    // A transaction with a write stays open: restart_lsn cannot pass its first change.
    await pin.connect();
    await pin.query(`BEGIN; INSERT INTO pin VALUES (1)`);
    await f.db.query(`INSERT INTO junk SELECT generate_series(1, 3000000)`);
    // The state of a run that read up to here (nothing of the stream's in between).
    const [{ lsn } = { lsn: '' }] = await f.db.query<{ lsn: string }>(
      `SELECT (pg_current_wal_lsn() - '0/0')::text AS lsn`,
    );
    const state = structuredClone(lastState(first.msgs)) as NonNullable<Message['value']>;
    state.bookmarks['public-t']!.lsn = Number(lsn);
    await f.db.query(`INSERT INTO t VALUES (2, 'new')`);
    const [slot] = await f.db.query<{ behind: string }>(
      `SELECT ($1::bigint - (restart_lsn - '0/0'))::text AS behind FROM pg_replication_slots`,
      [lsn],
    );
    expect(Number(slot!.behind)).toBeGreaterThan(100 * 1024 * 1024);

    const r = await f.run(state, { logical_poll_total_seconds: 2 });
    expect(r.code).toBe(0);
    expect(records(r.msgs).map((x) => [x.id, x.v])).toEqual([[2, 'new']]);
  } finally {
    await pin.end().catch(() => {});
    await f.db.drop();
  }
}, 120_000);
