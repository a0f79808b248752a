import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../pipeline/cli.ts', import.meta.url));

/** A `subflow worker` child process and what it has printed. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  log(): string;
  /** Resolves when stderr has matched `pattern` (already or later). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** Starts `subflow worker ARGS…` as its own process, as a user would on another machine. */
export function startWorkerProcess(args: string[]): WorkerProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=subflow-source', cli, 'worker', ...args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    child,
    log: () => stderr,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      if (pattern.test(stderr)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`worker never printed ${pattern}; it printed:\n${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        void exited.then(() => {
          if (!pattern.test(stderr)) {
            clearTimeout(timer);
            reject(new Error(`worker exited before printing ${pattern}:\n${stderr}`));
          }
        });
      });
    },
  };
}

/** Stops a worker the way a service manager does (SIGTERM) and waits for it. */
export async function stopWorker(worker: WorkerProcess): Promise<number | string> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  return worker.exited;
}
