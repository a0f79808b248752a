/**
 * `npm run bench -- queue [--files 40] [--cues 300] [--beam 5] [--rounds 1] [--tiny-files 200]`: the
 * job queue against one `subflow translate` process, on a generated library of subtitle files (test
 * verses of the bundled corpus cut into cues), with a redis-server of its own on a free loopback port.
 *
 * Prints one JSON line per figure: files/min of `subflow translate` in one process, of one worker
 * (all cores) and of two workers (half the OpenBLAS threads each), with the ratio to one process;
 * then the queue's own cost per job, timed with a no-op translator on one-cue files (the worker's
 * per-file work called in a loop against one in-process worker), and its share of a real file's time.
 *
 * On a machine shared with other work the wall times follow its load, so each figure also gives
 * the CPU seconds per file the translating processes used (from /proc, after the model was loaded),
 * which the load hardly moves: equal CPU per file means the queue costs nothing, whatever the wall
 * times say. With `--rounds N` the three runs take turns N times and each figure is its fastest round.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
const rounds = Number(flag('rounds', '1'));
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

/**
 * CPU seconds (user + system) process `pid` and its descendants have used so far: its own, its reaped
 * children's, and its live children's (the esbuild service tsx starts). NaN where there is no /proc.
 */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, from field 3 (state): utime 14, stime 15, cutime 16, cstime 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / CLOCK_TICKS;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
    return own + children.reduce((sum, child) => sum + (cpuSeconds(Number(child)) || 0), 0);
  } catch {
    return NaN; // not Linux (or the process is gone): the figures go without CPU times
  }
}

/** This process's reaped children's CPU seconds (cutime + cstime). */
function reapedChildrenCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** USER_HZ of /proc's times: 100 on every Linux that runs Node. */
const CLOCK_TICKS = 100;

/** The end of a child's stderr (for an error message), without keeping all of it. */
function stderrTail(child: ChildProcess, onText?: (text: string) => void): () => string {
  let tail = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    onText?.(text);
    tail = (tail + text).slice(-8000);
  });
  return () => tail;
}

/**
 * Runs `subflow translate ARGS…` to its end: the seconds of its own summary (after the model was
 * loaded) and the CPU seconds it used after loading the model. Rejects on a non-zero exit.
 */
function translateRun(args: string[]): Promise<{ seconds: number; withLoad: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const childrenBefore = reapedChildrenCpuSeconds();
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'translate', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let atLoad = NaN;
    let seconds = NaN;
    const tail = stderrTail(child, (text) => {
      if (Number.isNaN(atLoad) && text.includes('translate: model ')) atLoad = cpuSeconds(child.pid!);
      const summary = /cues in ([\d.]+) s/.exec(text);
      if (summary) seconds = Number(summary[1]);
    });
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`subflow translate exited ${code}:\n${tail()}`));
      const withLoad = (performance.now() - started) / 1000;
      // The child has been reaped, so its whole CPU time is in this process's children's times.
      const total = reapedChildrenCpuSeconds() - childrenBefore;
      resolve({ seconds: Number.isNaN(seconds) ? withLoad : seconds, withLoad, cpu: total - atLoad });
    });
  });
}

/** Running `subflow worker` processes. */
interface Workers {
  /** CPU seconds all of them have used so far. */
  cpu(): number;
  stop(): Promise<void>;
}

/** Starts `subflow worker` processes and resolves once each has its model loaded and takes jobs. */
async function startWorkers(redisUrl: string, count: number, threads: number): Promise<Workers> {
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
          let ready = false;
          const tail = stderrTail(child, (text) => {
            // Only the tail is kept: a worker logs a few lines per file for as long as it runs.
            if (!ready && (tail() + text).includes('taking translate jobs')) {
              ready = true;
              resolve();
            }
          });
          child.once('exit', (code) => reject(new Error(`worker exited ${code}:\n${tail()}`)));
        }),
    ),
  );
  return {
    cpu: () => children.reduce((sum, child) => sum + cpuSeconds(child.pid!), 0),
    async stop() {
      await Promise.all(
        children.map((child) => {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          return exited;
        }),
      );
    },
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
  // load theirs before the clock starts. The runs take turns, so a change in the machine's load
  // during the bench falls on all of them.
  const modes = ['translate-one-process', 'queue-1-worker', 'queue-2-workers'] as const;
  type Mode = (typeof modes)[number];
  const runs = new Map<Mode, { seconds: number; cpu: number; withLoad?: number; same?: boolean }[]>(
    modes.map((mode) => [mode, []]),
  );
  let reference: Map<string, string> | undefined;
  for (let round = 0; round < rounds; round++) {
    const oneOut = join(root, `one-process-${round}`);
    const one = await translateRun(['-q', '--beam', String(beam), '--out', oneOut, library]);
    runs.get('translate-one-process')!.push(one);
    reference ??= contents(oneOut);
    for (const workers of [1, 2]) {
      const running = await startWorkers(redis.url, workers, Math.max(1, Math.floor(cores / workers)));
      try {
        const out = join(root, `workers-${workers}-${round}`);
        const cpuBefore = running.cpu();
        const seconds = await queueRun(redis.url, library, out);
        const cpu = running.cpu() - cpuBefore;
        const produced = contents(out);
        const same =
          [...produced].every(([name, text]) => reference!.get(name) === text) &&
          produced.size === reference!.size;
        runs.get(workers === 1 ? 'queue-1-worker' : 'queue-2-workers')!.push({ seconds, cpu, same });
      } finally {
        await running.stop();
      }
    }
    process.stderr.write(`bench queue: round ${round + 1} of ${rounds} done\n`);
  }
  const best = (mode: Mode) => runs.get(mode)!.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const oneProcess = best('translate-one-process');
  const secondsPerFile = best('queue-1-worker').seconds / fileCount;
  for (const mode of modes) {
    const chosen = best(mode);
    const workers = mode === 'queue-1-worker' ? 1 : mode === 'queue-2-workers' ? 2 : 0;
    printFigure({
      ...common,
      mode,
      ...(workers > 0 ? { threads_per_worker: Math.max(1, Math.floor(cores / workers)) } : {}),
      rounds,
      seconds: chosen.seconds,
      seconds_each_round: runs.get(mode)!.map((run) => Number(run.seconds.toFixed(1))),
      ...(chosen.withLoad !== undefined ? { seconds_with_model_load: chosen.withLoad } : {}),
      files_per_minute: (fileCount / chosen.seconds) * 60,
      cpu_seconds_per_file: chosen.cpu / fileCount,
      ...(workers > 0
        ? {
            ratio_vs_one_process: oneProcess.seconds / chosen.seconds,
            cpu_ratio_vs_one_process: chosen.cpu / oneProcess.cpu,
            outputs_identical: runs.get(mode)!.every((run) => run.same),
          }
        : {}),
    });
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
