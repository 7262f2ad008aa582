import { Client } from 'pg';
import { parsePgMajorVersion } from '../src/embedded/embedded-server';
import { adminUrl } from './support/test-db';

describe('the test server', () => {
  it('runs the major version TAP_POSTGRES_TEST_PG_VERSION asks for (17 by default)', async () => {
    if (process.env.TAP_POSTGRES_TEST_URL || process.env.TAP_POSTGRES_TEST_DB) return; // not ours
    const want =
      parsePgMajorVersion(
        process.env.TAP_POSTGRES_TEST_PG_VERSION,
        'TAP_POSTGRES_TEST_PG_VERSION',
      ) ?? 17;
    const c = new Client({ connectionString: adminUrl() });
    await c.connect();
    try {
      const r = await c.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
      expect(Math.floor(Number(r.rows[0]!.v) / 10000)).toBe(want);
    } finally {
      await c.end();
    }
  });

  it('rejects a version without an embedded package', () => {
    expect(() => parsePgMajorVersion('13', 'TAP_POSTGRES_TEST_PG_VERSION')).toThrow(
      "TAP_POSTGRES_TEST_PG_VERSION: '13' is not one of 14, 15, 16, 17, 18",
    );
    expect(parsePgMajorVersion('', 'X')).toBeUndefined();
    expect(parsePgMajorVersion(' 18 ', 'X')).toBe(18);
  });
});
