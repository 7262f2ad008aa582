import type { Finding, FindingStatus } from '../readiness/finding';

/** A titled group of findings: the server, one stream, LOG_BASED. */
export interface CheckSection {
  readonly title: string;
  readonly findings: readonly Finding[];
}

/** The README section that explains each set-up step. */
export const SETUP_GUIDE = 'README.md#postgresql-set-up';

const MARK: Readonly<Record<FindingStatus, string>> = {
  ok: '✓',
  problem: '✗',
  warning: '⚠',
  unknown: '?',
};

function line(f: Finding): string {
  const fix = [f.fix, f.then].filter(Boolean).join(' ');
  return `  ${MARK[f.status]} ${f.what}${fix ? ` — ${f.fix ? 'fix: ' : ''}${fix}` : ''}`;
}

/** Ready only when no finding is a problem: warnings and unknowns do not stop a sync. */
export function isReady(sections: readonly CheckSection[]): boolean {
  return sections.every((s) => s.findings.every((f) => f.status !== 'problem'));
}

/** The report as lines for stderr: sections, one line per finding, and a verdict. */
export function formatReport(sections: readonly CheckSection[]): string[] {
  const out: string[] = [];
  for (const s of sections) {
    out.push(s.title);
    for (const f of s.findings) out.push(line(f));
  }
  const all = sections.flatMap((s) => s.findings);
  const count = (st: FindingStatus) => all.filter((f) => f.status === st).length;
  const problems = count('problem');
  const warnings = count('warning');
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  out.push(
    problems > 0
      ? `NOT READY: ${plural(problems, 'problem')}, ${plural(warnings, 'warning')}; set-up guide: ${SETUP_GUIDE}`
      : `READY${warnings > 0 ? ` (${plural(warnings, 'warning')})` : ''}`,
  );
  return out;
}
