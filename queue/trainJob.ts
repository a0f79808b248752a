import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Queue, WaitingError, type Job, type JobState } from 'bullmq';
import type { TrainEvent } from '../types.js';
import { DEFAULT_RETRY, type RetryPolicy } from './enqueueTranslations.js';
import { QUEUE_NAMES, QUEUE_PREFIX, redisConnection, whenReachable } from './queueConnection.js';
import { jobError } from './translateJob.js';

/*
 * Training runs as jobs: `subflow queue run config.yaml` sends the config's path (on storage every
 * worker sees) to workers started with `--queues train`. The train stage resumes from
 * workDir/checkpoints/last, so a job retried after its worker died continues from the last checkpoint.
 */

/** What a train job carries: the pipeline config, by absolute path. */
export interface TrainJobData {
  config: string;
}

/** Progress a train job reports: the latest step's figures and the last validation and checkpoint. */
export interface TrainJobProgress {
  step: number;
  epoch: number;
  loss?: number;
  tokensPerSecond?: number;
  bleu?: number;
  /** Step of the last resumable checkpoint (`last/`) written. */
  checkpointStep?: number;
  etaSeconds?: number;
}

/** Runs a pipeline config (pipeline/runner.ts, handed in by the CLI, since queue/ sits below pipeline/). */
export type PipelineRunner = (
  config: string,
  io: { log: (line: string) => void; onTrainEvent: (event: TrainEvent) => void; signal: AbortSignal },
) => Promise<Record<string, unknown>>;

/** What `queue run` did. */
export interface EnqueueTrainingResult {
  jobId: string;
  /** Set when the same config (same path and content) was already queued. */
  existing?: JobState | 'unknown';
}

/** Queues a pipeline config for a train worker; the same config, unchanged, is queued once. */
export async function enqueueTraining(
  configPath: string,
  options: { redisUrl: string; retry?: RetryPolicy },
): Promise<EnqueueTrainingResult> {
  const config = resolve(configPath);
  const content = await readFile(config);
  const jobId = `train-${createHash('sha256').update(config).update('\0').update(content).digest('hex').slice(0, 32)}`;
  const queue = new Queue(QUEUE_NAMES.train, {
    connection: redisConnection(options.redisUrl),
    prefix: QUEUE_PREFIX,
  });
  try {
    await whenReachable(queue, options.redisUrl);
    const existing = await queue.getJob(jobId);
    if (existing) return { jobId, existing: await existing.getState() };
    const retry = options.retry ?? DEFAULT_RETRY;
    await queue.add('train', { config } satisfies TrainJobData, {
      jobId,
      attempts: retry.attempts,
      backoff: { type: 'exponential', delay: retry.backoffMs },
    });
    return { jobId };
  } finally {
    await queue.close();
  }
}

/** How often step progress is written to Redis at most; validations and checkpoints always are. */
const PROGRESS_INTERVAL_MS = 1000;

/**
 * Runs one train job with `runPipeline`: log lines go to the worker's log and the job's log, train
 * events to the job's progress (step, loss, tokens/s, BLEU, last checkpoint). When `shutdown` fires
 * (the worker got SIGTERM), training stops at a consistent checkpoint and the job goes back to the
 * queue without using up an attempt, to resume on the next worker that takes it.
 */
export async function runTrainJob(
  job: Job<TrainJobData>,
  token: string | undefined,
  runPipeline: PipelineRunner,
  options: { log: (line: string) => void; shutdown: AbortSignal },
): Promise<Record<string, unknown>> {
  const { log, shutdown } = options;
  const progress: TrainJobProgress = { step: 0, epoch: 0 };
  let lastReport = 0;
  const report = (force: boolean) => {
    if (!force && Date.now() - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = Date.now();
    job.updateProgress({ ...progress }).catch(() => undefined);
  };
  try {
    return await runPipeline(job.data.config, {
      signal: shutdown,
      log: (line) => {
        log(`worker: ${job.id}: ${line}`);
        job.log(line).catch(() => undefined);
      },
      onTrainEvent: (event) => {
        progress.step = event.step;
        progress.epoch = event.epoch;
        if (event.kind === 'step') {
          progress.loss = event.loss;
          progress.tokensPerSecond = event.tokensPerSecond;
          progress.etaSeconds = event.etaSeconds;
        }
        if (event.kind === 'validation') progress.bleu = event.bleu;
        // Only `last/` is what a retried job resumes from.
        if (event.kind === 'checkpoint' && event.checkpoint === 'last') progress.checkpointStep = event.step;
        report(event.kind !== 'step');
      },
    });
  } catch (error) {
    if (shutdown.aborted) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    throw jobError(error);
  }
}
