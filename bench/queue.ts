/**
 * `npm run bench -- queue [--files 40] [--cues 300] [--beam 5] [--tiny-files 200]`: the job queue
 * against one `subflow translate` process, on a generated library of subtitle files (test verses of
 * the bundled corpus cut into cues), with a redis-server of its own on a free loopback port.
 *
 * Prints one JSON line per figure: files/min of `subflow translate` in one process, of one worker
 * (all cores) and of two workers (half the OpenBLAS threads each), with the ratio to one process;
 * then the queue's own cost per job, timed with a no-op translator on one-cue files (the worker's
 * per-file work called in a loop against one in-process worker), and its share of a real file's time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { lastValueFrom } from 'rxjs';
import type { Job } from 'bullmq';
import { planRun } from '../jobs/runSubtitleJobs.js';
import { jobOptionsOf, type TranslateSubtitlesOptions } from '../jobs/translateSubtitles.js';
import { TRANSLATE_DEFAULTS } from '../model/translateSentences.js';
import { packageRoot } from '../packageInfo.js';
import {
  enqueueTranslations,
  type TranslateJobData,
  type TranslateJobResult,
} from '../queue/enqueueTranslations.js';
import { runTranslateJob, type JobTranslators } from '../queue/translateJob.js';
import { startWorker } from '../queue/startWorker.js';
import { submissionEvents } from '../queue/submissionEvents.js';
import { startRedisServer } from '../test/helpers/redisServer.js';
import { printFigure } from './_common.js';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

const fileCount = Number(flag('files', '40'));
const cueCount = Number(flag('cues', '300'));
const beam = Number(flag('beam', '5'));
const tinyCount = Number(flag('tiny-files', '200'));
const cores = cpus().length;
const cli = join(packageRoot(), 'pipeline', 'cli.ts');

const verses = gunzipSync(readFileSync(join(packageRoot(), 'corpora', 'bible-es-en', 'test.es.gz')))
  .toString('utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');

function srtTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23).replace('.', ',');
}

/** An SRT of `count` cues, starting at verse `first` (so files differ). */
function subtitleFile(first: number, count: number): string {
  const cues: string[] = [];
  for (let k = 0; k < count; k++) {
    const text = verses[(first + k) % verses.length].split(/\s+/).slice(0, 14).join(' ');
    cues.push(`${k + 1}\n${srtTime(k * 3000)} --> ${srtTime(k * 3000 + 2500)}\n${text}\n`);
  }
  return cues.join('\n');
}

function makeLibrary(dir: string, files: number, cues: number): void {
  mkdirSync(dir, { recursive: true });
  for (let k = 0; k < files; k++) {
    writeFileSync(join(dir, `episode${String(k).padStart(3, '0')}.srt`), subtitleFile(k * cues, cues));
  }
}

/** Every file under `dir` by relative path, with its text. */
function contents(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir).map((name) => [relative(dir, join(dir, name)), readFileSync(join(dir, name), 'utf8')]),
  );
}

/** Runs a subflow command to its end and returns its stderr; rejects on a non-zero exit. */
function subflow(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve(stderr) : reject(new Error(`subflow ${args[0]} exited ${code}:\n${stderr}`)),
    );
  });
}

/** Starts `subflow worker` processes and resolves once each has its model loaded and takes jobs. */
async function startWorkers(redisUrl: string, count: number, threads: number): Promise<() => Promise<void>> {
  const children = Array.from({ length: count }, () =>
    spawn(
      process.execPath,
      ['--import', 'tsx', cli, 'worker', '--redis', redisUrl, '--threads', String(threads)],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    ),
  );
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          let stderr = '';
          child.stderr.on('data', (chunk: Buffer) => {
            stderr += chunk.toString();
            if (stderr.includes('taking translate jobs')) resolve();
          });
          child.once('exit', (code) => reject(new Error(`worker exited ${code}:\n${stderr}`)));
        }),
    ),
  );
  return async () => {
    await Promise.all(
      children.map((child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        return exited;
      }),
    );
  };
}

function flags(out: string): TranslateSubtitlesOptions {
  return {
    to: 'eng',
    out,
    beam,
    alpha: 0.6,
    batchSize: 64,
    maxTokens: 4000,
    maxSourceLength: TRANSLATE_DEFAULTS.maxSourceLength,
    maxLineLength: 42,
    maxLines: 2,
    backend: 'auto',
  };
}

/** Seconds from `queue add` to the submission's last file. */
async function queueRun(redisUrl: string, library: string, out: string): Promise<number> {
  const started = performance.now();
  const summary = await enqueueTranslations([library], flags(out), { redisUrl });
  await lastValueFrom(submissionEvents(summary.submission!, { redisUrl }));
  return (performance.now() - started) / 1000;
}

if (spawnSync('redis-server', ['--version']).error) {
  printFigure({ bench: 'queue', skipped: 'redis-server is not installed (scripts/setup.sh --with-redis)' });
  process.exit(0);
}
const root = mkdtempSync(join(tmpdir(), 'subflow-bench-queue-'));
const redis = await startRedisServer();
try {
  const library = join(root, 'library');
  makeLibrary(library, fileCount, cueCount);
  const common = { bench: 'queue', files: fileCount, cues_per_file: cueCount, beam };

  // One process; its own summary gives the time after the model was loaded, as the workers below
  // load theirs before the clock starts.
  const started = performance.now();
  const log = await subflow([
    'translate',
    '-q',
    '--beam',
    String(beam),
    '--out',
    join(root, 'one-process'),
    library,
  ]);
  const withLoad = (performance.now() - started) / 1000;
  const oneProcess = Number(/cues in ([\d.]+) s/.exec(log)?.[1] ?? withLoad);
  const reference = contents(join(root, 'one-process'));
  printFigure({
    ...common,
    mode: 'translate-one-process',
    seconds: oneProcess,
    seconds_with_model_load: withLoad,
    files_per_minute: (fileCount / oneProcess) * 60,
  });

  let secondsPerFile = 0;
  for (const workers of [1, 2]) {
    const stop = await startWorkers(redis.url, workers, Math.max(1, Math.floor(cores / workers)));
    try {
      const out = join(root, `workers-${workers}`);
      const seconds = await queueRun(redis.url, library, out);
      if (workers === 1) secondsPerFile = seconds / fileCount;
      const same =
        [...contents(out)].every(([name, text]) => reference.get(name) === text) &&
        contents(out).size === reference.size;
      printFigure({
        ...common,
        mode: `queue-${workers}-worker${workers > 1 ? 's' : ''}`,
        threads_per_worker: Math.max(1, Math.floor(cores / workers)),
        seconds,
        files_per_minute: (fileCount / seconds) * 60,
        ratio_vs_one_process: oneProcess / seconds,
        outputs_identical: same,
      });
    } finally {
      await stop();
    }
  }

  // The queue's own cost: one-cue files, a translator that returns its input.
  const tiny = join(root, 'tiny');
  makeLibrary(tiny, tinyCount, 1);
  const identity = async (units: string[]) => units;
  const options = jobOptionsOf(flags(join(root, 'tiny-direct')));
  const { files } = await planRun([tiny], options);
  const silent = () => undefined;
  const noOp: JobTranslators = { get: async () => identity, dispose: silent };
  // The worker's own work on each file (runTranslateJob: the completeness check, read, translate,
  // write) without the queue, so the difference below is what Redis and BullMQ add per job.
  const direct = async (out: string) => {
    const start = performance.now();
    for (const file of files) {
      const data = {
        input: file,
        out,
        fileCount: files.length,
        options,
        search: {},
        protect: [file.path],
        submission: '',
      };
      const job = { data, updateProgress: async () => undefined } as unknown as Job<
        TranslateJobData,
        TranslateJobResult
      >;
      await runTranslateJob(job, noOp, silent);
    }
    return (performance.now() - start) / 1000;
  };
  await direct(join(root, 'tiny-warm-up')); // JIT and file cache, so the two runs below compare fairly
  const directSeconds = await direct(join(root, 'tiny-direct'));
  const worker = await startWorker({
    redisUrl: redis.url,
    queues: ['translate'],
    translators: noOp,
    log: silent,
  });
  let queued: number;
  try {
    await queueRun(redis.url, tiny, join(root, 'tiny-queue-warm-up'));
    queued = await queueRun(redis.url, tiny, join(root, 'tiny-queued'));
  } finally {
    await worker.close();
  }
  const overheadMs = ((queued - directSeconds) / tinyCount) * 1000;
  printFigure({
    bench: 'queue',
    mode: 'overhead-no-op-model',
    files: tinyCount,
    direct_ms_per_file: (directSeconds / tinyCount) * 1000,
    queued_ms_per_file: (queued / tinyCount) * 1000,
    overhead_ms_per_job: overheadMs,
    overhead_share_of_real_file: overheadMs / 1000 / secondsPerFile,
  });
} finally {
  await redis.dispose();
  rmSync(root, { recursive: true, force: true });
}
