import type { TapRun } from './run-tap';

/** Messages a target may act on (commit rows, a bookmark, a table version). */
const COMMITTABLE = new Set(['RECORD', 'STATE', 'ACTIVATE_VERSION']);

/**
 * What every run promises (docs/operations.md), whatever its input: an exit code of 0, 1 or 2;
 * on failure exactly one CRITICAL line and no stack trace; on exit 2 nothing at all on stdout; on
 * any failure caused by input, nothing a target could commit. Returns the violations (empty when
 * the run kept the contract), so property tests can report the input that broke it.
 */
export function contractViolations(
  r: TapRun,
  opts: { allowed: readonly number[]; committableOnFailure?: boolean },
): string[] {
  const problems: string[] = [];
  if (!opts.allowed.includes(r.code))
    problems.push(`exit ${r.code}, expected one of ${opts.allowed.join('/')}`);
  if (r.stderrLines.some((l) => /^\s+at /.test(l) || /\n\s+at /.test(l)))
    problems.push('a stack trace on stderr');
  if (r.stderrLines.some((l) => /unexpected error/.test(l)))
    problems.push('an unexpected (unclassified) error');
  const critical = r.stderrLines.filter((l) => l.startsWith('CRITICAL'));
  if (r.code === 0 && critical.length > 0) problems.push('CRITICAL line on success');
  if (r.code !== 0 && critical.length !== 1)
    problems.push(`${critical.length} CRITICAL lines on failure`);
  if (r.code === 2 && r.stdout !== '') problems.push('output on stdout before exit 2');
  if (r.code !== 0 && !opts.committableOnFailure) {
    const committable = r.stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => {
        try {
          return (JSON.parse(l) as { type?: string }).type;
        } catch {
          return 'unparseable';
        }
      })
      .filter((t) => t === 'unparseable' || COMMITTABLE.has(t ?? ''));
    if (committable.length > 0)
      problems.push(`${committable.join(', ')} on stdout before a failure`);
  }
  return problems;
}

/** For messages: the run in a few lines. */
export function describeRun(r: TapRun): string {
  return `exit ${r.code}\nstderr:\n${r.stderr.slice(0, 2000)}\nstdout:\n${r.stdout.slice(0, 500)}`;
}
