import { findingMessage } from '../readiness/finding';
import { formatReport, isReady } from './check-report';

describe('the --check report', () => {
  const sections = [
    {
      title: 'LOG_BASED',
      findings: [
        { status: 'ok' as const, what: "wal_level is 'logical'" },
        {
          status: 'problem' as const,
          what: "role 'tap' lacks the REPLICATION privilege",
          fix: 'ALTER ROLE "tap" WITH REPLICATION;',
        },
        {
          status: 'warning' as const,
          what: 'x has no key',
          fix: 'ALTER TABLE x;',
          then: '(or not)',
        },
        { status: 'unknown' as const, what: 'cannot tell' },
        { status: 'problem' as const, what: 'slot in db b', then: 'rename it' },
      ],
    },
  ];

  it('one line per finding, the fix after a dash, and the verdict last', () => {
    expect(formatReport(sections)).toEqual([
      'LOG_BASED',
      "  ✓ wal_level is 'logical'",
      `  ✗ role 'tap' lacks the REPLICATION privilege — fix: ALTER ROLE "tap" WITH REPLICATION;`,
      '  ⚠ x has no key — fix: ALTER TABLE x; (or not)',
      '  ? cannot tell',
      '  ✗ slot in db b — rename it',
      'NOT READY: 2 problems, 1 warning; set-up guide: README.md#postgresql-set-up',
    ]);
    expect(isReady(sections)).toBe(false);
  });

  it('warnings and unknowns do not make it unready', () => {
    const s = [
      { title: 't', findings: sections[0]!.findings.filter((f) => f.status !== 'problem') },
    ];
    expect(isReady(s)).toBe(true);
    expect(formatReport(s).at(-1)).toBe('READY (1 warning)');
  });

  it('the same finding as the one-line error a sync stops with', () => {
    expect(findingMessage(sections[0]!.findings[1]!)).toBe(
      `role 'tap' lacks the REPLICATION privilege: run \`ALTER ROLE "tap" WITH REPLICATION;\``,
    );
    expect(findingMessage(sections[0]!.findings[4]!)).toBe('slot in db b: rename it');
  });
});
