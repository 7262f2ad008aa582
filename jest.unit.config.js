/** @type {import('jest').Config} */
// `npm run test:unit`: the tests that need no PostgreSQL server (every *.test.ts that is not an
// *.it.test.ts), without the global set-up that starts the servers.
const base = require('./jest.config.js');
module.exports = {
  ...base,
  testPathIgnorePatterns: ['\\.it\\.test\\.ts$'],
  globalSetup: undefined,
  globalTeardown: undefined,
};
