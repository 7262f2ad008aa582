import { lastState, records, replay, type Message } from './support/catalog-helpers';
import { logBasedFixture, type LogBasedFixture } from './support/log-based-fixture';

const ids = (held: Map<string, Record<string, unknown>>) =>
  [...held.values()].map((r) => r.id as number).sort((a, b) => a - b);

/** TRUNCATE is never silently ignored: a new table version by default, or a warning, or an error. */
describe('LOG_BASED TRUNCATE', () => {
  let f: LogBasedFixture;
  let first: Message[];
  let version: number;
  /** The last state of the version test: the warn and error runs start from it. */
  let latest: NonNullable<ReturnType<typeof lastState>>;

  beforeAll(async () => {
    f = await logBasedFixture(
      'truncate',
      `CREATE TABLE t (id int PRIMARY KEY, v text);
       CREATE TABLE other (id int PRIMARY KEY);
       INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');
       INSERT INTO other VALUES (1);
       CREATE PUBLICATION tap_postgres FOR TABLE t, other;`,
    );
    await f.select({ 'public-t': {}, 'public-other': {} });
    const r = await f.run();
    expect(r.code).toBe(0);
    first = r.msgs;
    version = lastState(first)!.bookmarks['public-t']!.version as number;
    await f.db.query(`TRUNCATE t`);
    await f.db.query(`INSERT INTO t VALUES (10, 'x'), (11, 'y')`);
  });
  afterAll(async () => {
    await f.db.drop();
  });

  it('default (version): a new version is activated, later records carry it, a version-aware replay holds only the new rows', async () => {
    const r = await f.run(lastState(first));
    expect(r.code).toBe(0);
    const t = r.msgs.filter((m) => m.stream === 'public-t');
    const activate = t.find((m) => m.type === 'ACTIVATE_VERSION')!;
    expect(activate.version).toBeGreaterThan(version);
    expect(t.filter((m) => m.type === 'RECORD').map((m) => [m.record!.id, m.version])).toEqual([
      [10, activate.version],
      [11, activate.version],
    ]);
    expect(t.indexOf(activate)).toBeLessThan(t.findIndex((m) => m.type === 'RECORD'));
    // the next runs go on with the new version; the untouched stream keeps its own
    const st = lastState(r.msgs)!.bookmarks;
    expect(st['public-t']!.version).toBe(activate.version);
    expect(st['public-other']!.version).toBe(lastState(first)!.bookmarks['public-other']!.version);
    const stream = (msgs: Message[]) => msgs.filter((m) => m.stream === 'public-t');
    expect(ids(replay(stream([...first, ...r.msgs]), 'id'))).toEqual([10, 11]);

    // inside one transaction: what came before the TRUNCATE is dropped with the old version
    await f.db.query(`BEGIN; INSERT INTO t VALUES (20, 'p'); TRUNCATE t;
                      INSERT INTO t VALUES (21, 'q'); COMMIT;`);
    const r2 = await f.run(lastState(r.msgs));
    expect(r2.code).toBe(0);
    expect(records(r2.msgs, 'public-t').map((x) => x.id)).toEqual([20, 21]);
    expect(ids(replay(stream([...first, ...r.msgs, ...r2.msgs]), 'id'))).toEqual([21]);
    latest = lastState(r2.msgs)!;
    await f.db.query(`TRUNCATE t`);
    await f.db.query(`INSERT INTO t VALUES (30, 'z')`);
  });

  it('truncate_handling warn: logged, not propagated', async () => {
    const r = await f.run(latest, { truncate_handling: 'warn' });
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /TRUNCATE of public\.t \(stream public-t\) committed at [0-9A-F]+\/[0-9A-F]+: not propagated \(truncate_handling: warn\)/,
    );
    expect(r.msgs.some((m) => m.type === 'ACTIVATE_VERSION')).toBe(false);
    const v = latest.bookmarks['public-t']!.version;
    expect(
      r.msgs
        .filter((m) => m.type === 'RECORD' && m.stream === 'public-t')
        .map((m) => [m.record!.id, m.version]),
    ).toEqual([[30, v]]);
    expect(lastState(r.msgs)!.bookmarks['public-t']!.version).toBe(v);
  });

  it('truncate_handling error: exit 1 before the STATE of the transaction', async () => {
    const incoming = latest;
    const r = await f.run(incoming, { truncate_handling: 'error' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TRUNCATE of public\.t .*truncate_handling is 'error'/);
    for (const m of r.msgs.filter((x) => x.type === 'STATE')) {
      expect(m.value!.bookmarks['public-t']!.lsn).toBe(incoming.bookmarks['public-t']!.lsn);
    }
  });
});
