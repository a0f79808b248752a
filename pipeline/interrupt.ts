/**
 * Runs `work` with an AbortSignal that fires on the first Ctrl-C (SIGINT/SIGTERM), so stages can stop
 * cleanly (finish the step, write a consistent checkpoint, kill child processes). A second Ctrl-C
 * exits at once.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
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
