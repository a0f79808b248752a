import { expect } from 'chai';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import { QUEUE_NAMES, QUEUE_PREFIX, redisConnection } from '../../queue/queueConnection.js';
import type { TrainJobProgress } from '../../queue/trainJob.js';
import { readSubtitleFile } from '../../subtitles/readSubtitleFile.js';
import { shortVerses } from '../helpers/bibleVerses.js';
import { skipWithoutRedis, startRedisServer, type RedisServer } from '../helpers/redisServer.js';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';
import { toyConfigYaml } from '../helpers/toyConfig.js';
import { startWorkerProcess, stopWorker, type WorkerProcess } from './workerProcess.js';

/** A short lock, so the job of a killed worker is taken again within a few seconds. */
const LOCK_FLAGS = ['--lock-duration', '5000', '--stalled-interval', '1000', '--threads', '1'];

function srt(lines: string[]): string {
  const time = (ms: number) => new Date(ms).toISOString().slice(11, 23).replace('.', ',');
  return lines
    .map((text, k) => `${k + 1}\n${time(k * 2000)} --> ${time(k * 2000 + 1500)}\n${text}\n`)
    .join('\n');
}

/** Resolves with the first job progress event that `accept` takes, on `queueName`. */
function progressOf<T>(
  redis: RedisServer,
  queueName: string,
  accept: (progress: T) => boolean,
): { seen: Promise<T>; close: () => Promise<void> } {
  const events = new QueueEvents(queueName, { connection: redisConnection(redis.url), prefix: QUEUE_PREFIX });
  const seen = new Promise<T>((resolve) => {
    events.on('progress', ({ data }) => {
      if (typeof data === 'object' && accept(data as T)) resolve(data as T);
    });
  });
  return { seen, close: () => events.close() };
}

describe('queue: a worker killed with SIGKILL', function () {
  this.timeout(300_000);
  const dir = useTempDir('subflow-queue-recovery-');
  let redis: RedisServer;
  const workers: WorkerProcess[] = [];
  const worker = (...args: string[]) => {
    const started = startWorkerProcess(['--redis', redis.url, ...LOCK_FLAGS, ...args]);
    workers.push(started);
    return started;
  };

  before(async function () {
    skipWithoutRedis(this);
    redis = await startRedisServer();
  });
  after(async () => {
    await Promise.all(workers.map((started) => stopWorker(started)));
    await redis?.dispose();
  });

  it('in the middle of a file: the job is taken again by another worker and finishes, leaving no partial file', async () => {
    const library = join(dir(), 'long');
    mkdirSync(library);
    const { es } = await shortVerses(300, 14);
    writeFileSync(join(library, 'long.srt'), srt(es));

    const doomed = worker();
    await doomed.waitFor(/taking translate jobs/);
    const watch = progressOf<{ cues: number; cuesDone: number }>(
      redis,
      QUEUE_NAMES.translate,
      (p) => p.cues > 0,
    );
    const added = await runCli(['queue', 'add', '--redis', redis.url, '--beam', '1', library]);
    expect(added.code, added.stderr).to.equal(0);
    try {
      await watch.seen;
    } finally {
      await watch.close();
    }
    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).to.equal('SIGKILL');

    const rescuer = worker();
    await rescuer.waitFor(/translate tr-\w+ done/, 180_000);
    expect(rescuer.log()).to.match(/translate tr-\w+ started: .*long\.srt/);
    const translated = await readSubtitleFile(join(library, 'long.eng.srt'));
    expect(translated.document.cues).to.have.length(300);
    expect(readdirSync(library).sort()).to.deep.equal(['long.eng.srt', 'long.srt']);
    const translate = new Queue(QUEUE_NAMES.translate, {
      connection: redisConnection(redis.url),
      prefix: QUEUE_PREFIX,
    });
    try {
      const [job] = await translate.getCompleted();
      expect(job.attemptsMade, 'a stalled job is retried without using up an attempt').to.equal(1);
      expect(job.stalledCounter).to.equal(1);
    } finally {
      await translate.close();
    }
  });

  it('after a training checkpoint: the retried job resumes from it', async () => {
    const config = join(dir(), 'toy.yaml');
    writeFileSync(
      config,
      toyConfigYaml(
        `maxSteps: 60
validateEvery: 4
checkpointEvery: 4`,
        'toy-run',
      ),
    );
    const doomed = worker('--queues', 'train');
    await doomed.waitFor(/taking train jobs/);
    const watch = progressOf<TrainJobProgress>(redis, QUEUE_NAMES.train, (p) => (p.checkpointStep ?? 0) >= 4);
    const queued = await runCli(['queue', 'run', '--redis', redis.url, config]);
    expect(queued.code, queued.stderr).to.equal(0);
    const jobId = queued.stdout.trim();
    let checkpoint: TrainJobProgress;
    try {
      checkpoint = await watch.seen;
    } finally {
      await watch.close();
    }
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const killedAt = JSON.parse(
      readFileSync(join(dir(), 'toy-run/checkpoints/last/trainer.json'), 'utf8'),
    ) as {
      step: number;
    };
    expect(killedAt.step).to.be.at.least(checkpoint.checkpointStep!).and.below(60);

    const rescuer = worker('--queues', 'train');
    await rescuer.waitFor(/train train-\w+ done/, 240_000);
    expect(rescuer.log()).to.include(`train: resuming from ${join(dir(), 'toy-run/checkpoints/last')}`);
    const trainer = JSON.parse(
      readFileSync(join(dir(), 'toy-run/checkpoints/last/trainer.json'), 'utf8'),
    ) as {
      step: number;
    };
    expect(trainer.step).to.equal(60);

    const train = new Queue(QUEUE_NAMES.train, {
      connection: redisConnection(redis.url),
      prefix: QUEUE_PREFIX,
    });
    try {
      const job = (await Job.fromId(train, jobId))!;
      expect(await job.getState()).to.equal('completed');
      const progress = job.progress as TrainJobProgress;
      expect(progress.step).to.equal(60);
      expect(progress.loss).to.be.a('number');
      expect(progress.tokensPerSecond).to.be.above(0);
      expect(progress.bleu).to.be.a('number');
      expect((job.returnvalue as { train: { steps: number } }).train.steps).to.equal(60);
    } finally {
      await train.close();
    }
    const status = await runCli(['queue', 'status', '--redis', redis.url]);
    expect(status.stdout).to.match(
      new RegExp(`${jobId} .*toy\\.yaml: completed, step 60, loss [\\d.]+, \\d+ tok/s, BLEU [\\d.]+`),
    );
  });
});
