#!/usr/bin/env node
'use strict';
// The only place that exits: everything below returns an exit code (see src/cli/main.ts).
const { run } = require('../dist/cli/run.js');

run(process.argv.slice(2)).then(
  (code) => {
    // Exit only after stdout has flushed, or a piped consumer could miss the last messages.
    process.stdout.write('', () => process.exit(code));
  },
  (err) => {
    process.stderr.write(`CRITICAL unexpected error: ${err && err.message}\n`);
    process.exit(1);
  },
);
