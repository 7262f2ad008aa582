/**
 * One result of a set-up check, as data: `--check` prints every finding, a sync stops at the first
 * problem and logs the warnings, so both always judge a database the same way.
 */
export type FindingStatus =
  /** What is needed is there. */
  | 'ok'
  /** A sync would fail (or lose changes): `--check` exits 1, a sync stops before any output. */
  | 'problem'
  /** A sync works, but something is lossy, risky or slow. */
  | 'warning'
  /** Could not be determined with this role; says how to find out. */
  | 'unknown';

export interface Finding {
  readonly status: FindingStatus;
  /** What was found, naming the object: `wal_level is 'replica', LOG_BASED needs 'logical'`. */
  readonly what: string;
  /** The SQL (or, where no SQL can do it, the step) that fixes it. */
  readonly fix?: string;
  /** How a one-line error introduces `fix`; `run` unless the fix reads better otherwise. */
  readonly verb?: string;
  /** What follows the fix: `and restart PostgreSQL`, `(or set create_publication)`. */
  readonly then?: string;
  /** The problem is in the tap's input (config, catalog, state): a sync exits 2, not 1. */
  readonly input?: boolean;
}

export const ok = (what: string): Finding => ({ status: 'ok', what });

/** The finding as the one-line error a sync stops with. */
export function findingMessage(f: Finding): string {
  if (!f.fix) return f.then ? `${f.what}: ${f.then}` : f.what;
  return `${f.what}: ${f.verb ?? 'run'} \`${f.fix}\`${f.then ? ` ${f.then}` : ''}`;
}

/** The first problem, if any. */
export function firstProblem(findings: readonly Finding[]): Finding | undefined {
  return findings.find((f) => f.status === 'problem');
}
