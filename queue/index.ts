/*
 * `subflow/queue`: the job queue's API for your own code, a separate entry so that `subflow` itself
 * does not load BullMQ. Enqueue files or a pipeline config, run a worker, read the status, and
 * follow a submission as an Observable.
 */
export { enqueueTranslations, DEFAULT_RETRY } from './enqueueTranslations.js';
export type {
  EnqueueOptions,
  EnqueueSummary,
  RetryPolicy,
  SubmissionData,
  TranslateJobData,
  TranslateJobResult,
} from './enqueueTranslations.js';
export { enqueueTraining } from './trainJob.js';
export type { EnqueueTrainingResult, PipelineRunner, TrainJobData, TrainJobProgress } from './trainJob.js';
export { startWorker, DEFAULT_LOCK_DURATION_MS } from './startWorker.js';
export type { RunningWorker, WorkerOptions } from './startWorker.js';
export { modelTranslators, FILE_FAULT_CODES } from './translateJob.js';
export type { JobTranslators, TranslateJobProgress } from './translateJob.js';
export { queueStatus, retryFailed, cleanQueues, formatStatus } from './queueStatus.js';
export type { QueueStatus, SubmissionStatus, TrainingStatus, FileFailure } from './queueStatus.js';
export { submissionEvents, followSubmissions } from './submissionEvents.js';
export type { SubmissionEvent } from './submissionEvents.js';
export { DEFAULT_REDIS_URL, QUEUE_NAMES, QUEUE_PREFIX } from './queueConnection.js';
