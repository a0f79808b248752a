import cliProgress from 'cli-progress';
import { Option, type Command } from 'commander';
import { lastValueFrom, tap } from 'rxjs';
import { describeFailure } from '../../jobs/jobsReporter.js';
import type { TranslateSubtitlesOptions } from '../../jobs/translateSubtitles.js';
import { DEFAULT_RETRY, enqueueTranslations, type RetryPolicy } from '../../queue/enqueueTranslations.js';
import { redisUrlOf } from '../../queue/queueConnection.js';
import {
  cleanQueues,
  formatStatus,
  queueStatus,
  retryFailed,
  type QueueStatus,
} from '../../queue/queueStatus.js';
import { submissionEvents } from '../../queue/submissionEvents.js';
import { enqueueTraining } from '../../queue/trainJob.js';
import { loadConfig } from '../config.js';
import { integer, nonNegative } from './decodingFlags.js';
import { addTranslateJobOptions } from './translateSubtitles.js';
import '../stages/index.js';

/*
 * `subflow queue add|run|status|retry-failed|clean`: the client side of the job queue (queue/).
 * Results go to stdout (submission and job ids), everything else to stderr.
 */

const REDIS_HELP = 'Redis server of the queue (default: $SUBFLOW_REDIS_URL or redis://127.0.0.1:6379)';

interface RetryFlags {
  redis?: string;
  attempts: number;
  backoff: number;
}

function retryPolicy(flags: RetryFlags): RetryPolicy {
  return { attempts: flags.attempts, backoffMs: flags.backoff };
}

function addRetryOptions(command: Command): Command {
  return command
    .option('--attempts <n>', 'tries per job before it fails for good', integer(1), DEFAULT_RETRY.attempts)
    .option(
      '--backoff <ms>',
      'delay before the first retry, doubled on each one',
      integer(0),
      DEFAULT_RETRY.backoffMs,
    );
}

const log = (line: string) => void process.stderr.write(`${line}\n`);

/** Registers `subflow queue …`. */
export function registerQueueCommand(program: Command): void {
  const queue = program
    .command('queue')
    .description('send subtitle files and training runs to workers on other machines (BullMQ on Redis)');

  addRetryOptions(
    addTranslateJobOptions(
      queue
        .command('add')
        .description('queue the subtitle files of videos, subtitle files or folders, one job per file')
        .argument('<inputs...>', 'videos, subtitle files or folders, on storage every worker sees'),
    ),
  )
    .option('--redis <url>', REDIS_HELP)
    .option('--wait', 'follow the submission until every file is done; exit 1 if any failed')
    .action(async (inputs: string[], flags: TranslateSubtitlesOptions & RetryFlags & { wait?: boolean }) => {
      const redisUrl = redisUrlOf(flags.redis);
      const summary = await enqueueTranslations(
        inputs,
        { ...flags, backend: 'auto' },
        { redisUrl, retry: retryPolicy(flags) },
      );
      for (const item of summary.refused)
        log(`queue: ${item.input} not queued: ${describeFailure(item.error)}`);
      for (const item of summary.alreadyQueued)
        log(`queue: ${item.input} is already queued (${item.jobId}, ${item.state})`);
      for (const item of summary.skipped)
        log(`queue: ${item.input} skipped, outputs exist: ${item.outputs.join(', ')}`);
      log(
        `queue: ${summary.queued.length} file(s) queued` +
          (summary.submission ? ` as ${summary.submission}` : '') +
          `, ${summary.skipped.length} skipped (outputs exist), ${summary.alreadyQueued.length} already queued, ${summary.refused.length} refused`,
      );
      if (summary.submission) process.stdout.write(`${summary.submission}\n`);
      if (summary.refused.length > 0) process.exitCode = 1;
      if (flags.wait && summary.submission) {
        let failed = 0;
        let done = 0;
        await lastValueFrom(
          submissionEvents(summary.submission, { redisUrl }).pipe(
            tap((event) => {
              if (event.kind === 'completed') {
                done += 1;
                log(
                  `queue: [${done + failed}/${summary.queued.length}] ${event.input} → ${event.outputs.join(', ')}`,
                );
              } else if (event.kind === 'failed') {
                failed += 1;
                log(
                  `queue: [${done + failed}/${summary.queued.length}] ${event.input} FAILED: ${event.reason}`,
                );
              }
            }),
          ),
          { defaultValue: undefined },
        );
        if (failed > 0) process.exitCode = 1;
      }
    });

  addRetryOptions(
    queue
      .command('run')
      .description('queue a pipeline config for a worker started with --queues train')
      .argument('<config>', 'pipeline config file, on storage every train worker sees (its paths too)'),
  )
    .option('--redis <url>', REDIS_HELP)
    .action(async (file: string, flags: RetryFlags) => {
      await loadConfig(file); // refuse a broken config here, not on a worker
      const result = await enqueueTraining(file, {
        redisUrl: redisUrlOf(flags.redis),
        retry: retryPolicy(flags),
      });
      log(
        result.existing
          ? `queue: ${file} is already queued as ${result.jobId} (${result.existing})`
          : `queue: ${file} queued as ${result.jobId}`,
      );
      process.stdout.write(`${result.jobId}\n`);
    });

  queue
    .command('status')
    .description(
      'per submission: files done, running, waiting and failed (with errors), throughput and ETA; training jobs',
    )
    .option('--redis <url>', REDIS_HELP)
    .option('--watch', 'redraw until nothing is waiting or running (progress bars on a terminal)')
    .option('--interval <seconds>', 'redraw interval of --watch', nonNegative, 2)
    .option('--limit <n>', 'newest submissions shown', integer(1), 20)
    .option('--json', 'print the status as JSON')
    .action(
      async (flags: { redis?: string; watch?: boolean; interval: number; limit: number; json?: boolean }) => {
        const redisUrl = redisUrlOf(flags.redis);
        const read = () => queueStatus(redisUrl, { limit: flags.limit });
        if (!flags.watch) {
          const status = await read();
          if (flags.json) process.stdout.write(`${JSON.stringify(status)}\n`);
          else for (const line of formatStatus(status)) process.stdout.write(`${line}\n`);
          return;
        }
        await watchStatus(read, flags.interval * 1000, Boolean(process.stderr.isTTY));
      },
    );

  queue
    .command('retry-failed')
    .description('put every failed translate and train job back in its queue')
    .option('--redis <url>', REDIS_HELP)
    .action(async (flags: { redis?: string }) => {
      const count = await retryFailed(redisUrlOf(flags.redis));
      log(`queue: ${count} failed job(s) queued again`);
    });

  queue
    .command('clean')
    .description('remove finished (completed and failed) jobs; waiting and running ones stay')
    .option('--redis <url>', REDIS_HELP)
    .addOption(
      new Option('--grace <seconds>', 'keep jobs finished less than this long ago')
        .argParser(nonNegative)
        .default(0),
    )
    .action(async (flags: { redis?: string; grace: number }) => {
      const count = await cleanQueues(redisUrlOf(flags.redis), flags.grace * 1000);
      log(`queue: ${count} finished job(s) removed`);
    });
}

/** True while some submission or training job still has work waiting or running. */
function busy(status: QueueStatus): boolean {
  return (
    status.submissions.some((submission) => submission.active + submission.waiting > 0) ||
    status.training.some((job) => !['completed', 'failed'].includes(job.state))
  );
}

/** `queue status --watch`: a bar per submission on a terminal, else status lines, until all is done. */
async function watchStatus(
  read: () => Promise<QueueStatus>,
  intervalMs: number,
  interactive: boolean,
): Promise<void> {
  const bars = interactive
    ? new cliProgress.MultiBar(
        {
          stream: process.stderr,
          format:
            '{id} |{bar}| {value}/{total} files | {active} running, {failed} failed | {rate} files/min | ETA {eta_s}',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const shown = new Map<string, cliProgress.SingleBar>();
  try {
    for (;;) {
      const status = await read();
      if (bars) {
        for (const submission of status.submissions) {
          const payload = {
            id: submission.id,
            active: submission.active,
            failed: submission.failed,
            rate: submission.filesPerMinute?.toFixed(1) ?? '–',
            eta_s: submission.etaSeconds === undefined ? '–' : `${Math.round(submission.etaSeconds)} s`,
          };
          const finished = submission.done + submission.failed;
          const bar = shown.get(submission.id);
          if (bar) bar.update(finished, payload);
          else shown.set(submission.id, bars.create(submission.total, finished, payload));
        }
      } else for (const line of formatStatus(status)) log(line);
      if (!busy(status)) break;
      await new Promise((done) => setTimeout(done, intervalMs));
    }
  } finally {
    bars?.stop();
  }
  if (bars) for (const line of formatStatus(await read())) log(line);
}
