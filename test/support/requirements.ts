import { spawnSync } from 'node:child_process';

/**
 * Programs some tests need beyond Node and the npm packages. Outside CI a test whose program is
 * missing is skipped, and the global set-up says once, in one line, what to install to run it;
 * in CI (`CI=true`) nothing is skipped: the test runs and fails with the same hint.
 */
export interface Requirement {
  /** The tests that need it. */
  readonly tests: string;
  /** A command that succeeds when the program is there. */
  readonly probe: readonly [string, ...string[]];
  readonly install: string;
}

export const REQUIREMENTS = {
  python3: {
    tests: 'the Mage adapter tests',
    probe: ['python3', '--version'],
    install: 'install python3 (Debian: apt-get install python3)',
  },
  jq: {
    tests: "the README's shell examples",
    probe: ['jq', '--version'],
    install: 'install jq (Debian: apt-get install jq; macOS: brew install jq)',
  },
  script: {
    tests: 'the progress-bar-on-a-terminal test',
    probe: ['script', '-qec', 'true', '/dev/null'],
    install: 'install script(1) from util-linux (Debian: apt-get install bsdutils)',
  },
  openssl: {
    tests: 'the TLS tests',
    probe: ['openssl', 'version'],
    install: 'install openssl (Debian: apt-get install openssl)',
  },
  sshd: {
    tests: 'the SSH tunnel tests',
    probe: ['/usr/sbin/sshd', '-V'],
    install: 'install the OpenSSH server (Debian: apt-get install openssh-server)',
  },
} as const satisfies Record<string, Requirement>;

export type RequirementName = keyof typeof REQUIREMENTS;

const missingEnv = (name: RequirementName) => `TAP_POSTGRES_TEST_MISSING_${name.toUpperCase()}`;

function present(r: Requirement): boolean {
  const [cmd, ...args] = r.probe;
  const run = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
  return !run.error && run.status === 0;
}

/** The one-line notice for a skipped set of tests. */
export function skipNotice(tests: string, why: string): string {
  return `tap-postgres tests: skipping ${tests}: ${why}`;
}

/**
 * For the global set-up: probes every program once, tells the test workers what is missing
 * through the environment, and prints one line per missing program.
 */
export function checkRequirements(
  env: NodeJS.ProcessEnv = process.env,
  requirements: Partial<Record<RequirementName, Requirement>> = REQUIREMENTS,
): void {
  for (const [name, r] of Object.entries(requirements) as Array<[RequirementName, Requirement]>) {
    if (present(r)) continue;
    const why = `${r.probe[0]} is missing; ${r.install}`;
    env[missingEnv(name)] = why;
    process.stderr.write(
      env.CI === 'true'
        ? `tap-postgres tests: ${r.tests} will fail (CI=true skips nothing): ${why}\n`
        : `${skipNotice(r.tests, why)}\n`,
    );
  }
}

/** Whether tests needing `name` are skipped here: missing outside CI. */
export function lacking(name: RequirementName, env: NodeJS.ProcessEnv = process.env): boolean {
  return env[missingEnv(name)] !== undefined && env.CI !== 'true';
}

/** `describe`, or `describe.skip` when the program is missing outside CI. */
export function describeNeeding(name: RequirementName): jest.Describe {
  return lacking(name) ? describe.skip : describe;
}

/** `it`, or `it.skip` when the program is missing outside CI. */
export function itNeeding(name: RequirementName): jest.It {
  return lacking(name) ? it.skip : it;
}
