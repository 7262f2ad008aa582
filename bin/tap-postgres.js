#!/usr/bin/env node
'use strict';
// The only place that exits: everything below returns an exit code (see src/cli/main.ts).

// A tap streams millions of short-lived strings; V8's default heap growth lets the old generation
// swell to 200 MB+ before collecting. Favouring size keeps peak RSS near 100 MB on any table
// (bench/: 2,000,000 rows), at some throughput cost. TAP_POSTGRES_OPTIMIZE_FOR_SPEED=1 opts out.
if (!process.env.TAP_POSTGRES_OPTIMIZE_FOR_SPEED)
  require('v8').setFlagsFromString('--optimize-for-size');
const { run } = require('../dist/cli/run.js');
const { redact } = require('../dist/log/redact.js');

// Whatever escapes main (an error thrown from a driver callback, a rejected promise nobody awaited)
// still ends as one redacted CRITICAL line and exit 1, never Node's stack dump with a secret in it.
function crash(err) {
  const message = String((err && err.message) || err).replace(/\s*\n\s*/g, ' ');
  process.stderr.write(`CRITICAL unexpected error: ${redact(message)}\n`);
  if (process.env.TAP_POSTGRES_DEBUG && err && err.stack)
    process.stderr.write(`${redact(err.stack)}\n`);
  process.exit(1);
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

run(process.argv.slice(2), (code) => process.exit(code)).then((code) => {
  // Exit only after stdout has flushed, or a piped consumer could miss the last messages.
  process.stdout.write('', () => process.exit(code));
}, crash);
