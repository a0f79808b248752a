import { constants } from 'node:os';
import { isSubflowError } from '../errors.js';

/** The exit code of a process ended by `signal`, as shells report it: 128 + its number (SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? constants.signals.SIGINT);
}

// Which signal stopped the work that threw each INTERRUPTED error, so the CLI can exit with its code.
const interruptedBy = new WeakMap<object, NodeJS.Signals>();

/** The exit code for an INTERRUPTED error: that of the signal that caused it, 130 (Ctrl-C) if unknown. */
export function interruptExitCode(error: unknown): number {
  const signal = typeof error === 'object' && error !== null ? interruptedBy.get(error) : undefined;
  return signalExitCode(signal ?? 'SIGINT');
}

/**
 * Runs `work` with an AbortSignal that fires on the first Ctrl-C (SIGINT) or SIGTERM, so stages can
 * stop cleanly (finish the step, write a consistent checkpoint, kill child processes). A second signal
 * exits at once. An INTERRUPTED error thrown by `work` remembers the signal (see interruptExitCode).
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let firstSignalAt = 0;
  let received: NodeJS.Signals | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    // npm/npx forward the terminal's Ctrl-C to the child that already got it from the process group,
    // so a second signal within a moment is the same keypress, not a request to quit at once.
    if (controller.signal.aborted) {
      if (Date.now() - firstSignalAt > 1500) process.exit(signalExitCode(name));
      return;
    }
    firstSignalAt = Date.now();
    received = name;
    const again = name === 'SIGINT' ? 'press Ctrl-C again' : `send ${name} again`;
    process.stderr.write(`\nsubflow: ${name} received, stopping cleanly (${again} to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } catch (error) {
    if (received && isSubflowError(error, 'INTERRUPTED')) interruptedBy.set(error, received);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
