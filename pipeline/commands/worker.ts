import { InvalidArgumentError, Option, type Command } from 'commander';
import { redisUrlOf, type WorkQueue } from '../../queue/queueConnection.js';
import { DEFAULT_LOCK_DURATION_MS, startWorker } from '../../queue/startWorker.js';
import type { PipelineRunner } from '../../queue/trainJob.js';
import { loadConfig } from '../config.js';
import { runPipeline } from '../runner.js';
import { backendOption, integer } from './decodingFlags.js';
import '../stages/index.js';

const WORK_QUEUES: readonly WorkQueue[] = ['translate', 'train'];

function queueList(value: string): WorkQueue[] {
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !WORK_QUEUES.includes(name as WorkQueue));
  if (unknown.length > 0 || names.length === 0) {
    throw new InvalidArgumentError(`expected a comma-separated list of ${WORK_QUEUES.join(', ')}`);
  }
  return names as WorkQueue[];
}

/** A train job's pipeline: the config on shared storage, run as `subflow run` would. */
const runConfig: PipelineRunner = async (config, io) =>
  runPipeline(await loadConfig(config), {
    log: io.log,
    onTrainEvent: io.onTrainEvent,
    signal: io.signal,
    interactive: false,
  });

interface WorkerFlags {
  redis?: string;
  queues: WorkQueue[];
  concurrency: number;
  backend?: string;
  model?: string;
  threads?: number;
  lockDuration: number;
  stalledInterval?: number;
}

/**
 * `subflow worker`: takes jobs from the queue until SIGTERM/SIGINT, which lets running translate
 * jobs finish (a training run stops at a checkpoint and goes back to the queue), then exits 0.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('take translate and/or train jobs from the queue (BullMQ on Redis) until stopped')
    .option(
      '--redis <url>',
      'Redis server of the queue (default: $SUBFLOW_REDIS_URL or redis://127.0.0.1:6379)',
    )
    .addOption(
      new Option('--queues <names>', 'queues to take jobs from: translate, train or both (comma-separated)')
        .argParser(queueList)
        .default(['translate'], 'translate'),
    )
    .option(
      '-m, --model <dir>',
      'checkpoint to load before taking jobs (default: the bundled model); others load when a job names them',
    )
    .option('-c, --concurrency <n>', 'translate jobs run at once in this process', integer(1), 1)
    .addOption(backendOption('tfjs backend for translation (training: the config’s)', false))
    .option(
      '--threads <n>',
      'threads of this worker (OpenBLAS and the native kernels), so workers sharing a host do not oversubscribe it',
      integer(1),
    )
    .option(
      '--lock-duration <ms>',
      'how long a job stays claimed without a sign of life; a dead worker’s job is taken again after it',
      integer(1000),
      DEFAULT_LOCK_DURATION_MS,
    )
    .option(
      '--stalled-interval <ms>',
      'how often jobs of dead workers are looked for (default: the lock duration)',
      integer(100),
    )
    .action(async (flags: WorkerFlags) => {
      const log = (line: string) => void process.stderr.write(`${line}\n`);
      const worker = await startWorker({
        redisUrl: redisUrlOf(flags.redis),
        queues: flags.queues,
        concurrency: flags.concurrency,
        backend: flags.backend,
        model: flags.model,
        threads: flags.threads,
        lockDurationMs: flags.lockDuration,
        stalledIntervalMs: flags.stalledInterval,
        runPipeline: runConfig,
        log,
      });
      await new Promise<void>((stopped, failed) => {
        let stopping = false;
        const onSignal = (name: NodeJS.Signals) => {
          if (stopping) process.exit(130);
          stopping = true;
          log(`worker: ${name} received, finishing the running jobs (again to quit at once)`);
          worker.close().then(stopped, failed);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      log('worker: stopped');
    });
}
