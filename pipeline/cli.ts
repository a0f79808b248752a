#!/usr/bin/env node
// The `subflow` executable: everything lives in program.ts so tests can drive the CLI in-process.
import { main } from './program.js';

// A reader that stops early (`subflow translate-text < in | head`) closes the pipe: that ends the
// command quietly, as it does for other Unix tools, instead of an EPIPE stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
