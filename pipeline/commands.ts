import type { Command } from 'commander';
import { registerRunCommand } from './commands/run.js';
import { registerTokenizeCommand } from './commands/tokenize.js';

/** Adds every subcommand to the program; each lives in pipeline/commands/NAME.ts. */
export function registerCommands(program: Command): void {
  registerRunCommand(program);
  registerTokenizeCommand(program);
}
