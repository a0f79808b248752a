import { Job, Queue, type JobState } from 'bullmq';
import type { SubmissionData, TranslateJobResult } from './enqueueTranslations.js';
import { QUEUE_NAMES, QUEUE_PREFIX, redisConnection, whenReachable } from './queueConnection.js';
import type { TrainJobData, TrainJobProgress } from './trainJob.js';
import { failureCode, type TranslateJobProgress } from './translateJob.js';

/*
 * `subflow queue status`, `retry-failed` and `clean`: what the queue holds, read from Redis through
 * BullMQ's own getters.
 */

/** One file that failed for good, with its error. */
export interface FileFailure {
  input: string;
  jobId: string;
  /** The SubflowError code, when the failure was one. */
  code?: string;
  reason: string;
  attempts: number;
}

/** Where one submission stands. */
export interface SubmissionStatus {
  id: string;
  createdAt: number;
  total: number;
  done: number;
  /** Done without work: their outputs were already complete. */
  skipped: number;
  active: number;
  /** Waiting, or delayed before a retry. */
  waiting: number;
  failed: number;
  /** Cues translated by finished files, and done so far by running ones. */
  cuesDone: number;
  /** Files finished per minute since the first one started. */
  filesPerMinute?: number;
  /** Seconds until the rest is done at that rate. */
  etaSeconds?: number;
  failures: FileFailure[];
  /** Files the running jobs are on, with their progress. */
  running: { input: string; cues: number; cuesDone: number }[];
}

/** Where one training job stands. */
export interface TrainingStatus {
  jobId: string;
  config: string;
  state: JobState | 'unknown';
  attempts: number;
  progress?: TrainJobProgress;
  reason?: string;
}

/** The whole picture `queue status` prints. */
export interface QueueStatus {
  submissions: SubmissionStatus[];
  training: TrainingStatus[];
}

/** The queues a status read or a clean-up works on. */
interface Queues {
  translate: Queue;
  train: Queue;
  submissions: Queue;
  close(): Promise<void>;
}

async function openQueues(redisUrl: string): Promise<Queues> {
  const connection = redisConnection(redisUrl);
  const open = (name: string) => new Queue(name, { connection, prefix: QUEUE_PREFIX });
  const queues = {
    translate: open(QUEUE_NAMES.translate),
    train: open(QUEUE_NAMES.train),
    submissions: open(QUEUE_NAMES.submissions),
  };
  const close = async () => {
    await Promise.all(Object.values(queues).map((queue) => queue.close()));
  };
  try {
    await whenReachable(queues.translate, redisUrl);
  } catch (error) {
    await close();
    throw error;
  }
  return { ...queues, close };
}

const ALL_STATES: JobState[] = [
  'active',
  'waiting',
  'waiting-children',
  'delayed',
  'prioritized',
  'completed',
  'failed',
];

/** The status of one submission's files, fetched job by job. */
export async function submissionStatus(
  translate: Queue,
  parent: Job<SubmissionData>,
): Promise<SubmissionStatus> {
  const status: SubmissionStatus = {
    id: parent.id!,
    createdAt: parent.timestamp,
    total: parent.data.files.length,
    done: 0,
    skipped: 0,
    active: 0,
    waiting: 0,
    failed: 0,
    cuesDone: 0,
    failures: [],
    running: [],
  };
  let firstStart = Infinity;
  const jobs = await Promise.all(
    parent.data.files.map((file) => Job.fromId<unknown, TranslateJobResult>(translate, file.jobId)),
  );
  const states = await Promise.all(jobs.map((job) => (job ? job.getState() : Promise.resolve('unknown'))));
  parent.data.files.forEach((file, k) => {
    const job = jobs[k];
    const state = states[k];
    if (job?.processedOn !== undefined) firstStart = Math.min(firstStart, job.processedOn);
    if (state === 'completed' && job) {
      status.done += 1;
      if (job.returnvalue?.skipped) status.skipped += 1;
      status.cuesDone += job.returnvalue?.cues ?? 0;
    } else if (state === 'failed' && job) {
      status.failed += 1;
      status.failures.push({
        input: file.input,
        jobId: file.jobId,
        code: failureCode(job.failedReason),
        reason: job.failedReason,
        attempts: job.attemptsMade,
      });
    } else if (state === 'active' && job) {
      status.active += 1;
      const progress = job.progress as Partial<TranslateJobProgress> | number;
      const cues = typeof progress === 'object' ? (progress.cues ?? 0) : 0;
      const cuesDone = typeof progress === 'object' ? (progress.cuesDone ?? 0) : 0;
      status.cuesDone += cuesDone;
      status.running.push({ input: file.input, cues, cuesDone });
    } else status.waiting += 1;
  });
  const finished = status.done + status.failed;
  const remaining = status.total - finished;
  if (finished > 0 && Number.isFinite(firstStart)) {
    const minutes = Math.max(Date.now() - firstStart, 1) / 60_000;
    status.filesPerMinute = finished / minutes;
    status.etaSeconds = remaining === 0 ? 0 : (remaining / status.filesPerMinute) * 60;
  }
  return status;
}

/** Every submission (newest first, at most `limit`) and training job in the queue. */
export async function queueStatus(redisUrl: string, options: { limit?: number } = {}): Promise<QueueStatus> {
  const queues = await openQueues(redisUrl);
  try {
    const parents = (await queues.submissions.getJobs(
      ALL_STATES,
      0,
      (options.limit ?? 20) - 1,
      false,
    )) as Job<SubmissionData>[];
    const submissions = await Promise.all(
      parents.filter(Boolean).map((parent) => submissionStatus(queues.translate, parent)),
    );
    const trainJobs = (await queues.train.getJobs(
      ALL_STATES,
      0,
      (options.limit ?? 20) - 1,
      false,
    )) as Job<TrainJobData>[];
    const training = await Promise.all(
      trainJobs.filter(Boolean).map(async (job) => ({
        jobId: job.id!,
        config: job.data.config,
        state: await job.getState(),
        attempts: job.attemptsMade,
        progress:
          typeof job.progress === 'object' ? (job.progress as unknown as TrainJobProgress) : undefined,
        reason: job.failedReason || undefined,
      })),
    );
    return { submissions: submissions.sort((a, b) => b.createdAt - a.createdAt), training };
  } finally {
    await queues.close();
  }
}

/** Puts every failed translate and train job back in its queue; returns how many. */
export async function retryFailed(redisUrl: string): Promise<number> {
  const queues = await openQueues(redisUrl);
  try {
    let retried = 0;
    for (const queue of [queues.translate, queues.train]) {
      for (const job of await queue.getFailed()) {
        await job.retry('failed');
        retried += 1;
      }
    }
    return retried;
  } finally {
    await queues.close();
  }
}

/**
 * Removes finished jobs (completed and failed) older than `graceMs` from every queue; waiting and
 * running jobs are left alone. Returns how many were removed. Files whose outputs exist are still
 * skipped by a later `queue add`, so cleaning never makes work run twice.
 */
export async function cleanQueues(redisUrl: string, graceMs: number): Promise<number> {
  const queues = await openQueues(redisUrl);
  try {
    let removed = 0;
    for (const queue of [queues.submissions, queues.translate, queues.train]) {
      for (const state of ['completed', 'failed'] as const) {
        removed += (await queue.clean(graceMs, 0, state)).length;
      }
    }
    return removed;
  } finally {
    await queues.close();
  }
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** The lines `queue status` prints: a line per submission and per training job, then each failed file. */
export function formatStatus(status: QueueStatus): string[] {
  const lines: string[] = [];
  if (status.submissions.length === 0 && status.training.length === 0) return ['queue: empty'];
  for (const submission of status.submissions) {
    const rate =
      submission.filesPerMinute === undefined ? '' : `, ${submission.filesPerMinute.toFixed(1)} files/min`;
    const eta =
      submission.etaSeconds === undefined || submission.etaSeconds === 0
        ? ''
        : `, ETA ${duration(submission.etaSeconds)}`;
    lines.push(
      `${submission.id} (${new Date(submission.createdAt).toISOString()}): ${submission.done}/${submission.total} done` +
        (submission.skipped ? ` (${submission.skipped} had outputs)` : '') +
        `, ${submission.active} running, ${submission.waiting} waiting, ${submission.failed} failed; ` +
        `${submission.cuesDone} cues${rate}${eta}`,
    );
    for (const running of submission.running) {
      lines.push(`  running: ${running.input}: ${running.cuesDone}/${running.cues} cues`);
    }
    for (const failure of submission.failures) {
      lines.push(
        `  failed: ${failure.input} after ${failure.attempts} attempt(s): ${failure.reason.split('\n')[0]}`,
      );
    }
  }
  for (const job of status.training) {
    const progress = job.progress;
    const figures = progress
      ? `step ${progress.step}` +
        (progress.loss !== undefined ? `, loss ${progress.loss.toFixed(3)}` : '') +
        (progress.tokensPerSecond !== undefined ? `, ${Math.round(progress.tokensPerSecond)} tok/s` : '') +
        (progress.bleu !== undefined ? `, BLEU ${progress.bleu.toFixed(1)}` : '') +
        (progress.checkpointStep !== undefined ? `, checkpoint at step ${progress.checkpointStep}` : '')
      : 'not started';
    lines.push(
      `${job.jobId} ${job.config}: ${job.state}, ${figures}${job.reason ? `; ${job.reason.split('\n')[0]}` : ''}`,
    );
  }
  return lines;
}
