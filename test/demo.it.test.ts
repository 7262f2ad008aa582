import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The lines `  <count>  <TYPE> <stream>` under the `run N:` heading. */
function countsOf(stdout: string, run: string): Record<string, number> {
  const section = stdout.split(`\n${run}: messages per stream and type\n`)[1]!.split('\n\n')[0]!;
  return Object.fromEntries(
    section
      .split('\n')
      .map((l) => /^\s+(\d+)\s+(.+)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[2]!, Number(m[1])]),
  );
}

describe('npm run demo', () => {
  // The demo starts its own embedded PostgreSQL, as on a fresh clone.
  it('syncs one stream per replication method twice, prints the summary and cleans up', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(__dirname, '..', 'dist', 'demo', 'demo.js')],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME }, timeout: 120_000 },
    );
    expect(countsOf(stdout, 'run 1')).toMatchObject({
      'RECORD shop-customers': 200,
      'RECORD shop-orders': 1000,
      'RECORD shop-products': 50,
      'SCHEMA shop-products': 1,
    });
    // run 2: the whole FULL_TABLE again, the INCREMENTAL boundary row + 3 new + 1 updated, and the
    // three LOG_BASED changes (insert, update, delete)
    expect(countsOf(stdout, 'run 2')).toMatchObject({
      'RECORD shop-customers': 200,
      'RECORD shop-orders': 5,
      'RECORD shop-products': 3,
    });
    expect(stdout).toMatch(/shop-products change: \{.*"_sdc_deleted_at":"\d{4}-/);
    const state = JSON.parse(/Final STATE \(.*\):\n(\{[\s\S]*?\n\})\n/.exec(stdout)![1]!);
    expect(state.bookmarks['shop-products']).toMatchObject({
      last_replication_method: 'LOG_BASED',
      lsn: expect.any(Number),
    });
    expect(state.bookmarks['shop-orders'].replication_key).toBe('updated_at');
    expect(stdout).toContain(
      'Cleaned up: replication slot tap_postgres_demo and publication dropped.',
    );
    expect(stdout.trimEnd().endsWith('Embedded PostgreSQL stopped.')).toBe(true);
  });
});
