import { lastState } from './support/catalog-helpers';
import { logBasedFixture, type LogBasedFixture } from './support/log-based-fixture';

/**
 * The LOG_BASED set-up checks run before the first stream of a sync and again when LOG_BASED
 * starts: a warning they find is still said once per run.
 */
describe('LOG_BASED readiness warnings', () => {
  let f: LogBasedFixture;

  beforeAll(async () => {
    f = await logBasedFixture(
      'lb_warn_once',
      `CREATE TABLE quiet (id int PRIMARY KEY, v text);
       ALTER TABLE quiet REPLICA IDENTITY NOTHING;
       INSERT INTO quiet VALUES (1, 'a'), (2, 'b');
       CREATE TABLE plain (id int PRIMARY KEY, v text);
       INSERT INTO plain VALUES (1, 'a');
       CREATE PUBLICATION tap_postgres FOR TABLE quiet WITH (publish = 'insert, update, delete');`,
    );
    await f.select({ 'public-quiet': {}, 'public-plain': { method: 'FULL_TABLE' } });
  });
  afterAll(async () => {
    await f.db.drop();
  });

  const count = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;

  it('are each printed once, on the first run and on a resumed run', async () => {
    const first = await f.run();
    expect(first.stderr).not.toMatch(/CRITICAL/);
    expect(first.code).toBe(0);
    const second = await f.run(lastState(first.msgs));
    expect(second.code).toBe(0);
    for (const r of [first, second]) {
      expect(count(r.stderrLines, /^WARN public\.quiet has REPLICA IDENTITY NOTHING/)).toBe(1);
      expect(
        count(r.stderrLines, /^WARN publication 'tap_postgres' does not publish TRUNCATE/),
      ).toBe(1);
    }
  });
});
