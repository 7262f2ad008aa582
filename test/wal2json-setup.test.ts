import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  missingBinaries,
  WAL2JSON_MISSING_ENV,
  WAL2JSON_URL_ENV,
  wal2jsonServerUrl,
  wal2jsonSkipped,
} from './support/debian-server';

/**
 * Without a wal2json server the wal2json tests are skipped outside CI (the set-up says what to
 * install); in CI they run and fail with the same reason.
 */
describe('wal2json test server set-up', () => {
  it('names the missing server binaries and how to install them', () => {
    const why = missingBinaries('/nonexistent/bin');
    expect(why).toContain('/nonexistent/bin');
    expect(why).toContain('apt-get install postgresql-15 postgresql-15-wal2json');
  });

  it('names the missing plugin when the server is there without it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tap-postgres-fakepg-'));
    const lib = join(dir, 'lib');
    mkdirSync(lib);
    writeFileSync(join(dir, 'postgres'), '');
    writeFileSync(join(dir, 'pg_config'), `#!/bin/sh\necho ${lib}\n`);
    chmodSync(join(dir, 'pg_config'), 0o755);
    expect(missingBinaries(dir)).toContain(`${lib}/wal2json.so`);
    writeFileSync(join(lib, 'wal2json.so'), '');
    expect(missingBinaries(dir)).toBeNull();
  });

  it("fails a test with the set-up's reason when there is no server", () => {
    expect(() => wal2jsonServerUrl({ [WAL2JSON_MISSING_ENV]: 'no wal2json: install it' })).toThrow(
      'no wal2json: install it',
    );
    expect(wal2jsonServerUrl({ [WAL2JSON_URL_ENV]: 'postgres://x' })).toBe('postgres://x');
  });

  it('skips when asked or when the server is missing, and never in CI', () => {
    expect(wal2jsonSkipped({})).toBe(false);
    expect(wal2jsonSkipped({ TAP_POSTGRES_SKIP_WAL2JSON: '1' })).toBe(true);
    expect(wal2jsonSkipped({ TAP_POSTGRES_SKIP_WAL2JSON: '1', CI: 'true' })).toBe(false);
    expect(wal2jsonSkipped({ [WAL2JSON_MISSING_ENV]: 'no wal2json' })).toBe(true);
    expect(wal2jsonSkipped({ [WAL2JSON_MISSING_ENV]: 'no wal2json', CI: 'true' })).toBe(false);
  });
});
