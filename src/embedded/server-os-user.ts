import { execFileSync } from 'node:child_process';

/** The OS identity a PostgreSQL server runs as: the current one, or `postgres` when root. */
export type ServerOsUser = { readonly uid: number; readonly gid: number } | null;

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function idOf(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: 'pipe' }));
}

/**
 * PostgreSQL refuses to run as root, so as root the server runs as the OS user `postgres`,
 * created here when the machine has none (a fresh container usually has none). Null when the
 * current user may run it.
 */
export function serverOsUser(): ServerOsUser {
  if (!isRoot()) return null;
  try {
    return { uid: idOf('-u'), gid: idOf('-g') };
  } catch {
    // No such user yet.
  }
  try {
    execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'pipe' });
  } catch {
    // The group may exist without the user.
  }
  try {
    execFileSync('useradd', ['--system', '-g', 'postgres', '-M', 'postgres'], { stdio: 'pipe' });
    return { uid: idOf('-u'), gid: idOf('-g') };
  } catch (e) {
    throw new Error(
      `running as root, PostgreSQL needs an OS user 'postgres' to run as, and creating one failed (${firstLine(e)}); create it (useradd postgres) or run as an ordinary user`,
    );
  }
}

export function firstLine(e: unknown): string {
  const err = e as { stderr?: Buffer | string; message?: string };
  const text = (err.stderr ? String(err.stderr) : '') || err.message || String(e);
  return text.trim().split('\n')[0] ?? '';
}
