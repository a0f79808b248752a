import { expect } from 'chai';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Queue } from 'bullmq';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { QUEUE_NAMES, QUEUE_PREFIX, redisConnection } from '../../queue/queueConnection.js';
// As a user's own stream would: through the package's queue entry.
import { queueStatus, submissionEvents, type SubmissionEvent } from 'subflow/queue';
import { makeVideoFixtures, SPANISH_ASS, SPANISH_SRT, SPANISH_VTT } from '../helpers/makeVideo.js';
import { skipWithoutRedis, startRedisServer, type RedisServer } from '../helpers/redisServer.js';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';
import { startWorkerProcess, stopWorker, type WorkerProcess } from './workerProcess.js';

/** Every file under `dir`, by path relative to it, with its bytes. */
function filesUnder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

/** The same library in `dir`: three videos, three subtitle files in a sub-folder, one corrupt video. */
async function makeLibrary(dir: string): Promise<void> {
  const fixtures = await makeVideoFixtures();
  mkdirSync(join(dir, 'season1'), { recursive: true });
  copyFileSync(fixtures.mkv, join(dir, 'episode1.mkv'));
  copyFileSync(fixtures.mp4, join(dir, 'episode2.mp4'));
  copyFileSync(fixtures.webm, join(dir, 'episode3.webm'));
  copyFileSync(fixtures.truncatedMp4, join(dir, 'broken.mp4'));
  writeFileSync(join(dir, 'season1', 'a.srt'), SPANISH_SRT);
  writeFileSync(join(dir, 'season1', 'b.vtt'), SPANISH_VTT);
  writeFileSync(join(dir, 'season1', 'c.ass'), SPANISH_ASS);
}

/** Worker flags of these tests: the bundled model's CPU path, a short lock so a dead worker's job returns quickly. */
const WORKER_FLAGS = ['--lock-duration', '10000', '--stalled-interval', '1000', '--threads', '1'];

describe('queue: subflow queue add + subflow worker on a real redis-server', function () {
  this.timeout(240_000);
  const dir = useTempDir('subflow-queue-');
  let redis: RedisServer;
  const workers: WorkerProcess[] = [];
  const worker = (...args: string[]) => {
    const started = startWorkerProcess(['--redis', redis.url, ...WORKER_FLAGS, ...args]);
    workers.push(started);
    return started;
  };

  before(async function () {
    skipWithoutRedis(this);
    redis = await startRedisServer({ persistent: true });
  });
  after(async () => {
    await Promise.all(workers.map((started) => stopWorker(started)));
    await redis?.dispose();
  });

  it('translates a library with two workers exactly as `subflow translate` does; a corrupt file fails once; re-adding runs nothing twice', async () => {
    const reference = join(dir(), 'reference');
    const library = join(dir(), 'library');
    await Promise.all([makeLibrary(reference), makeLibrary(library)]);
    const translated = await runCli(['translate', '-q', '--beam', '1', reference]);
    expect(translated.code, translated.stderr).to.equal(1); // broken.mp4

    const added = await runCli([
      'queue',
      'add',
      '--redis',
      redis.url,
      '--beam',
      '1',
      '--backoff',
      '500',
      library,
    ]);
    expect(added.code, added.stderr).to.equal(0);
    expect(added.stderr).to.match(/7 file\(s\) queued as sub-[0-9a-f]+, 0 skipped/);
    const submission = added.stdout.trim();

    const events = lastValueFrom(submissionEvents(submission, { redisUrl: redis.url }).pipe(toArray()));
    const first = worker();
    const second = worker('--concurrency', '2');
    const finished = (await events).filter((event) => event.kind !== 'progress');
    expect(finished).to.have.length(7);
    const failed = finished.filter((event) => event.kind === 'failed') as Extract<
      SubmissionEvent,
      { kind: 'failed' }
    >[];
    expect(failed.map((event) => [relative(library, event.input), event.code])).to.deep.equal([
      ['broken.mp4', 'MEDIA_INVALID'],
    ]);

    // Byte for byte what `subflow translate` wrote, and nothing else (no temp files).
    expect(filesUnder(library)).to.deep.equal(filesUnder(reference));

    const status = await queueStatus(redis.url);
    const mine = status.submissions.find((item) => item.id === submission)!;
    expect(mine).to.include({ total: 7, done: 6, failed: 1, active: 0, waiting: 0, skipped: 0 });
    expect(mine.failures[0]).to.include({ code: 'MEDIA_INVALID', attempts: 1 });
    expect(mine.cuesDone).to.equal(18);

    // Both workers took jobs, and every job started exactly once.
    const starts = (first.log() + second.log()).match(/translate tr-[0-9a-f]+ started/g) ?? [];
    expect(starts, first.log() + second.log()).to.have.length(7);
    expect(new Set(starts).size).to.equal(7);
    expect(first.log()).to.match(/translate tr-\w+ started/);
    expect(second.log()).to.match(/translate tr-\w+ started/);

    const again = await runCli(['queue', 'add', '--redis', redis.url, '--beam', '1', library]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stderr).to.match(
      /0 file\(s\) queued, 6 skipped \(outputs exist\), 1 already queued, 0 refused/,
    );
    expect(again.stdout).to.equal('');

    const shown = await runCli(['queue', 'status', '--redis', redis.url]);
    expect(shown.stdout).to.match(
      new RegExp(`${submission} .*: 6/7 done, 0 running, 0 waiting, 1 failed; 18 cues`),
    );
    expect(shown.stdout).to.match(/failed: .*broken\.mp4 after 1 attempt\(s\): MEDIA_INVALID: /);
    const watched = await runCli(['queue', 'status', '--watch', '--interval', '0.1', '--redis', redis.url]);
    expect(watched.code).to.equal(0);
    expect(watched.stderr).to.match(new RegExp(`${submission} .*: 6/7 done`));
  });

  it('keeps going when Redis restarts mid-run: workers reconnect and every file is done', async () => {
    const library = join(dir(), 'restart');
    mkdirSync(library);
    for (let k = 0; k < 8; k++) writeFileSync(join(library, `part${k}.srt`), SPANISH_SRT);
    const added = await runCli(['queue', 'add', '--redis', redis.url, '--beam', '1', library]);
    expect(added.code, added.stderr).to.equal(0);
    const submission = added.stdout.trim();
    // A follower that leaves after the first event must leave the jobs running (checked below).
    const firstEvent = await firstValueFrom(submissionEvents(submission, { redisUrl: redis.url }));
    expect(firstEvent.input).to.match(/part\d\.srt$/);
    const translate = new Queue(QUEUE_NAMES.translate, {
      connection: redisConnection(redis.url),
      prefix: QUEUE_PREFIX,
    });
    try {
      // Wait for the first file, then take Redis away (SIGKILL) for two seconds.
      for (let waited = 0; (await translate.getJobCounts('completed')).completed < 7; waited += 100) {
        if (waited > 60_000) throw new Error('no file of the restart submission finished');
        await new Promise((done) => setTimeout(done, 100));
      }
      await redis.stop(true);
      await new Promise((done) => setTimeout(done, 2000));
      await redis.start();
      for (let waited = 0; ; waited += 250) {
        const status = (await queueStatus(redis.url)).submissions.find((item) => item.id === submission)!;
        if (status.done === 8) break;
        if (waited > 90_000) throw new Error(`the run never finished: ${JSON.stringify(status)}`);
        await new Promise((done) => setTimeout(done, 250));
      }
    } finally {
      await translate.close();
    }
    for (let k = 0; k < 8; k++) {
      expect(readFileSync(join(library, `part${k}.eng.srt`), 'utf8')).to.equal(
        readFileSync(join(dir(), 'reference', 'season1', 'a.eng.srt'), 'utf8'),
      );
    }
    expect(workers[0].log() + workers[1].log()).to.match(/Redis connection problem/);
  });

  it('retry-failed runs a failed file again; clean removes finished jobs and submissions', async () => {
    const retried = await runCli(['queue', 'retry-failed', '--redis', redis.url]);
    expect(retried.stderr).to.include('queue: 1 failed job(s) queued again');
    const log = () => workers[0].log() + workers[1].log();
    for (
      let waited = 0;
      (log().match(/attempt \d+ failed: MEDIA_INVALID/g) ?? []).length < 2;
      waited += 100
    ) {
      if (waited > 60_000) throw new Error(`the retried job never ran:\n${log()}`);
      await new Promise((done) => setTimeout(done, 100));
    }
    const cleaned = await runCli(['queue', 'clean', '--redis', redis.url]);
    expect(cleaned.stderr).to.match(/queue: (\d+) finished job\(s\) removed/);
    expect(Number(/(\d+) finished/.exec(cleaned.stderr)![1])).to.equal(7 + 8 + 2);
    expect((await runCli(['queue', 'status', '--redis', redis.url])).stdout).to.equal('queue: empty\n');
  });

  it('queue add --wait follows the submission and exits 1 when a file failed', async () => {
    const library = join(dir(), 'wait');
    mkdirSync(library);
    writeFileSync(join(library, 'good.srt'), SPANISH_SRT);
    copyFileSync((await makeVideoFixtures()).bitmapMkv, join(library, 'pictures.mkv'));
    const result = await runCli(['queue', 'add', '--wait', '--redis', redis.url, '--beam', '1', library]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/\[\d\/2\] .*good\.srt → .*good\.eng\.srt/);
    expect(result.stderr).to.match(/\[\d\/2\] .*pictures\.mkv FAILED: SUBTITLE_BITMAP: /);
  });

  it('SIGTERM lets a worker finish and exit 0', async () => {
    const codes = await Promise.all(workers.splice(0).map((started) => stopWorker(started)));
    expect(codes).to.deep.equal([0, 0]);
  });
});
