/**
 * Runs `work` with an AbortSignal that fires on the first Ctrl-C (SIGINT/SIGTERM), so stages can stop
 * cleanly (finish the step, write a consistent checkpoint, kill child processes). A second Ctrl-C
 * exits at once.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (name: NodeJS.Signals) => {
    // npm/npx forward the terminal's Ctrl-C to the child that already got it from the process group,
    // so a second signal within a moment is the same keypress, not a request to quit at once.
    if (controller.signal.aborted) {
      if (Date.now() - firstSignalAt > 1500) process.exit(130);
      return;
    }
    firstSignalAt = Date.now();
    process.stderr.write(
      `\nsubflow: ${name} received, stopping cleanly (press Ctrl-C again to quit at once)\n`,
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
