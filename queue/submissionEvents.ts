import { Job, Queue, QueueEvents } from 'bullmq';
import { mergeMap, Observable, type OperatorFunction } from 'rxjs';
import { SubflowError } from '../errors.js';
import type { SubmissionData, TranslateJobResult } from './enqueueTranslations.js';
import { QUEUE_NAMES, QUEUE_PREFIX, redisConnection, whenReachable } from './queueConnection.js';
import { failureCode, type TranslateJobProgress } from './translateJob.js';

/*
 * An RxJS view of a remote batch: a submission's job events (BullMQ QueueEvents) as an Observable,
 * so a user's own stream can follow or wait on files translated by workers elsewhere. It only reads:
 * unsubscribing closes the event connection and leaves the jobs running.
 */

/** One thing that happened to a file of a submission. */
export type SubmissionEvent =
  | { kind: 'progress'; jobId: string; input: string; cues: number; cuesDone: number }
  | { kind: 'completed'; jobId: string; input: string; outputs: string[]; cues: number; skipped: boolean }
  | { kind: 'failed'; jobId: string; input: string; code?: string; reason: string };

/**
 * The events of submission `id`: a `completed` or `failed` event for every file (files already
 * finished when subscribing are reported first), `progress` events for running ones; completes
 * when every file is finished. Errors with `FILE_NOT_FOUND` when there is no such submission.
 * @example submissionEvents(id, { redisUrl }).pipe(filter((e) => e.kind === 'failed')).subscribe(console.log)
 */
export function submissionEvents(id: string, options: { redisUrl: string }): Observable<SubmissionEvent> {
  return new Observable<SubmissionEvent>((subscriber) => {
    const connection = redisConnection(options.redisUrl);
    const events = new QueueEvents(QUEUE_NAMES.translate, { connection, prefix: QUEUE_PREFIX });
    const translate = new Queue(QUEUE_NAMES.translate, { connection, prefix: QUEUE_PREFIX });
    const submissions = new Queue(QUEUE_NAMES.submissions, { connection, prefix: QUEUE_PREFIX });
    const inputs = new Map<string, string>();
    const finished = new Set<string>();
    let closed = false;

    const finish = (event: SubmissionEvent) => {
      if (closed || finished.has(event.jobId) || !inputs.has(event.jobId)) return;
      finished.add(event.jobId);
      subscriber.next(event);
      if (finished.size === inputs.size) subscriber.complete();
    };
    const completed = (jobId: string, value: TranslateJobResult | null | undefined) => {
      // No result yet (a job read just before it completed): its 'completed' event brings it.
      if (!value) return;
      finish({
        kind: 'completed',
        jobId,
        input: inputs.get(jobId)!,
        outputs: value.outputs,
        cues: value.cues,
        skipped: value.skipped,
      });
    };
    const failed = (jobId: string, reason: string) =>
      finish({ kind: 'failed', jobId, input: inputs.get(jobId)!, code: failureCode(reason), reason });

    // Listen before reading the jobs' states, so a file finishing in between is not missed.
    events.on('progress', ({ jobId, data }) => {
      if (closed || finished.has(jobId) || !inputs.has(jobId) || typeof data !== 'object') return;
      const progress = data as Partial<TranslateJobProgress>;
      subscriber.next({
        kind: 'progress',
        jobId,
        input: inputs.get(jobId)!,
        cues: progress.cues ?? 0,
        cuesDone: progress.cuesDone ?? 0,
      });
    });
    events.on('completed', ({ jobId, returnvalue }) => {
      const value = (
        typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue
      ) as TranslateJobResult;
      completed(jobId, value);
    });
    events.on('failed', ({ jobId, failedReason }) => failed(jobId, failedReason));
    events.on('error', () => undefined); // QueueEvents reconnects on its own

    (async () => {
      await Promise.all([
        whenReachable(events, options.redisUrl),
        whenReachable(submissions, options.redisUrl),
      ]);
      const parent = await Job.fromId<SubmissionData>(submissions, id);
      if (!parent) {
        throw new SubflowError('FILE_NOT_FOUND', `there is no submission ${id} in the queue`, {
          hint: 'subflow queue status lists the submissions; cleaned ones are gone',
        });
      }
      for (const file of parent.data.files) inputs.set(file.jobId, file.input);
      for (const file of parent.data.files) {
        const job = await Job.fromId<unknown, TranslateJobResult>(translate, file.jobId);
        const state = job ? await job.getState() : 'unknown';
        if (state === 'completed' && job) {
          // Completed between reading the job and reading its state: its result is read again.
          const result =
            job.returnvalue ??
            (await Job.fromId<unknown, TranslateJobResult>(translate, file.jobId))?.returnvalue;
          completed(file.jobId, result);
        } else if (state === 'failed' && job) failed(file.jobId, job.failedReason);
        else if (state === 'unknown')
          failed(file.jobId, `the job of ${file.input} was removed from the queue`);
      }
    })().catch((error: unknown) => {
      if (!closed) subscriber.error(error);
    });

    return () => {
      closed = true;
      // Closing only stops listening; the jobs belong to the workers.
      void Promise.all([events.close(), translate.close(), submissions.close()]).catch(() => undefined);
    };
  });
}

/**
 * The operator form: each submission id in, its {@link submissionEvents} out (merged), e.g. after
 * enqueueing: `from(enqueueTranslations(…)).pipe(map((s) => s.submission!), followSubmissions({ redisUrl }))`.
 */
export function followSubmissions(options: { redisUrl: string }): OperatorFunction<string, SubmissionEvent> {
  return mergeMap((id) => submissionEvents(id, options));
}
