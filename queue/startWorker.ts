import { Worker, type Job } from 'bullmq';
import { nativeKernels } from '../model/kernels/nativeAddon.js';
import type { SubmissionData, TranslateJobData, TranslateJobResult } from './enqueueTranslations.js';
import {
  QUEUE_NAMES,
  QUEUE_PREFIX,
  redisConnection,
  whenReachable,
  type WorkQueue,
} from './queueConnection.js';
import { runTrainJob, type PipelineRunner, type TrainJobData } from './trainJob.js';
import { modelTranslators, runTranslateJob, type JobTranslators } from './translateJob.js';

/*
 * `subflow worker`: BullMQ workers on the queues asked for, in one process. A job whose worker
 * dies keeps its lock only for `lockDurationMs`; after that BullMQ's stalled-job check (every
 * `stalledIntervalMs`, on any live worker) puts it back in the queue for another worker.
 */

/** BullMQ's default lock time: how long a dead worker's job stays claimed. */
export const DEFAULT_LOCK_DURATION_MS = 30_000;

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  redisUrl: string;
  /** Queues to take jobs from. Default translate. */
  queues: readonly WorkQueue[];
  /** Translate jobs run at once in this process (train jobs always one at a time). Default 1. */
  concurrency?: number;
  /** tfjs backend for translation (`--backend`). Default auto. */
  backend?: string;
  /** Threads of this process's matrix products and native loops (OpenBLAS and subflow's pool), so several workers on one host share its cores. */
  threads?: number;
  /** Lock time of a job; a dead worker's job is taken again after it. Default 30 s. */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for. Default: the lock time. */
  stalledIntervalMs?: number;
  /**
   * Checkpoint loaded before the first translate job is taken (default: the bundled model); jobs
   * naming another one load it when they come. Loading blocks the process, and a job whose lock is
   * not renewed within the lock time is taken by another worker, so the usual model is loaded first.
   */
  model?: string;
  /** Translators for translate jobs. Default: the checkpoint each job names, on `backend`. */
  translators?: JobTranslators;
  /** Runs train jobs; required for the train queue. */
  runPipeline?: PipelineRunner;
  log: (line: string) => void;
}

/** A started worker. */
export interface RunningWorker {
  /**
   * Stops taking jobs, lets running translate jobs finish, hands a running train job back to the
   * queue at a consistent checkpoint, and disconnects.
   */
  close(): Promise<void>;
}

/**
 * Connects to Redis and starts taking jobs. A translate worker also completes submissions (the
 * parent job, once its files are done) with a summary of them.
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { log } = options;
  if (options.threads !== undefined) {
    const addon = nativeKernels();
    if (addon) addon.setThreads(options.threads);
    log(
      addon
        ? `worker: ${options.threads} threads for OpenBLAS and the native kernels`
        : 'worker: --threads has no effect: the native OpenBLAS addon is not loaded',
    );
  }
  const connection = redisConnection(options.redisUrl);
  const lockDuration = options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS;
  const common = {
    connection,
    prefix: QUEUE_PREFIX,
    lockDuration,
    stalledInterval: options.stalledIntervalMs ?? lockDuration,
  };
  const translators = options.translators ?? modelTranslators(options.backend ?? 'auto', log);
  const shutdown = new AbortController();
  const workers: Worker[] = [];
  if (options.queues.includes('translate')) {
    workers.push(
      new Worker<TranslateJobData, TranslateJobResult>(
        QUEUE_NAMES.translate,
        (job) => runTranslateJob(job, translators, log),
        { ...common, concurrency: options.concurrency ?? 1, autorun: false },
      ),
      new Worker<SubmissionData>(QUEUE_NAMES.submissions, summarizeSubmission, {
        ...common,
        concurrency: 4,
        autorun: false,
      }),
    );
  }
  if (options.queues.includes('train')) {
    const runPipeline = options.runPipeline;
    if (!runPipeline) throw new Error('startWorker: the train queue needs runPipeline');
    workers.push(
      new Worker<TrainJobData>(
        QUEUE_NAMES.train,
        (job, token) => runTrainJob(job, token, runPipeline, { log, shutdown: shutdown.signal }),
        {
          ...common,
          concurrency: 1,
        },
      ),
    );
  }
  let connectionDown = false;
  for (const worker of workers) {
    worker.on('active', (job) => log(`worker: ${worker.name} ${job.id} started: ${describeJob(job)}`));
    worker.on('completed', (job) => log(`worker: ${worker.name} ${job.id} done`));
    worker.on('failed', (job, error) => {
      if (!job) return;
      const final = job.finishedOn !== undefined;
      log(
        `worker: ${worker.name} ${job.id} attempt ${job.attemptsMade} failed${final ? '' : ', will retry'}: ${error.message.split('\n')[0]}`,
      );
    });
    // One line per outage, not one per reconnect attempt; BullMQ keeps reconnecting on its own.
    worker.on('error', (error) => {
      if (!connectionDown) log(`worker: Redis connection problem (${error.message}); retrying`);
      connectionDown = true;
    });
    worker.on('ready', () => {
      if (connectionDown) log('worker: Redis connection back');
      connectionDown = false;
    });
  }
  try {
    await Promise.all(workers.map((worker) => whenReachable(worker, options.redisUrl)));
    if (options.queues.includes('translate')) await translators.get({ model: options.model, search: {} });
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.close(true)));
    throw error;
  }
  for (const worker of workers) {
    worker
      .run()
      .catch((error: unknown) => log(`worker: ${worker.name} stopped: ${(error as Error).message}`));
  }
  log(`worker: taking ${options.queues.join(', ')} jobs from ${options.redisUrl}`);
  return {
    async close() {
      // Translate jobs are short and finish; a training run stops at a checkpoint and is handed back.
      shutdown.abort();
      await Promise.all(workers.map((worker) => worker.close()));
      translators.dispose();
    },
  };
}

function describeJob(job: Job): string {
  const data = job.data as Partial<TranslateJobData & TrainJobData>;
  return data.input?.path ?? data.config ?? `${job.data?.files?.length ?? 0} file(s)`;
}

/** The parent job's work: a summary of its files once every one is done or failed for good. */
async function summarizeSubmission(
  job: Job<SubmissionData>,
): Promise<{ translated: number; failed: number }> {
  const [values, failures] = await Promise.all([job.getChildrenValues(), job.getIgnoredChildrenFailures()]);
  return { translated: Object.keys(values).length, failed: Object.keys(failures).length };
}
