import { Command, CommanderError, Option } from 'commander';
import { isSubflowError } from '../errors.js';
import { interruptExitCode } from './interrupt.js';
import { registerCommands } from './registerCommands.js';
import { packageVersion } from '../packageInfo.js';

/** Builds the `subflow` command line; exported so tests can drive it without a child process. */
export function buildProgram(): Command {
  const program = new Command('subflow')
    .description('Train neural machine translation models and translate subtitles with them')
    .version(packageVersion(), '-V, --version')
    .addOption(new Option('--debug', 'print stack traces of errors'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the CLI: prints a user-facing message (stack with --debug) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const debug = argv.includes('--debug');
    if (isSubflowError(error)) {
      process.stderr.write(`subflow: ${error.toUserString()}\n`);
      if (debug)
        process.stderr.write(
          `${error.stack}\n${error.cause ? `cause: ${String((error.cause as Error).stack ?? error.cause)}\n` : ''}`,
        );
      return error.code === 'INTERRUPTED' ? interruptExitCode(error) : 1;
    }
    process.stderr.write(`subflow: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    process.stderr.write(
      debug
        ? `${(error as Error)?.stack}\n`
        : '  (run again with --debug for the stack trace, and please report it)\n',
    );
    return 70;
  }
}
