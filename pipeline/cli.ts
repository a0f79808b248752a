#!/usr/bin/env node
// The `subflow` executable: everything lives in program.ts so tests can drive the CLI in-process.
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
