import { checkRequirements, lacking, type Requirement } from './support/requirements';

describe('programs the tests need', () => {
  const absent: Requirement = {
    tests: 'the imaginary tests',
    probe: ['tap-postgres-no-such-program-7f3a', '--version'],
    install: 'install it from nowhere',
  };
  const present: Requirement = {
    tests: 'the node tests',
    probe: ['node', '--version'],
    install: '',
  };

  function check(env: NodeJS.ProcessEnv): string[] {
    const lines: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      checkRequirements(env, { python3: absent, jq: present });
    } finally {
      write.mockRestore();
    }
    return lines;
  }

  it('outside CI: one line per missing program, saying what to install; its tests skipped', () => {
    const env: NodeJS.ProcessEnv = {};
    const lines = check(env);
    expect(lines).toEqual([
      'tap-postgres tests: skipping the imaginary tests: tap-postgres-no-such-program-7f3a is missing; install it from nowhere\n',
    ]);
    expect(lacking('python3', env)).toBe(true);
    expect(lacking('jq', env)).toBe(false);
  });

  it('in CI: nothing skipped, the same reason printed', () => {
    const env: NodeJS.ProcessEnv = { CI: 'true' };
    const lines = check(env);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/will fail \(CI=true skips nothing\).*install it from nowhere/);
    expect(lacking('python3', env)).toBe(false);
  });
});
