import { resolve } from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import { isSubflowError, type SubflowErrorCode } from '../errors.js';
import { outputsComplete } from '../jobs/skipExisting.js';
import { outputPaths } from '../jobs/subtitleInputs.js';
import { translateSubtitleFile } from '../jobs/translateSubtitleFile.js';
import type { BackendName } from '../model/backend.js';
import type { SubtitleWarning } from '../subtitles/cue.js';
import { loadModel, type TranslationModel } from '../model/translationModel.js';
import { modelTranslator, type UnitTranslator } from '../operators/translateCues.js';
import type { TranslateJobData, TranslateJobResult } from './enqueueTranslations.js';

/*
 * A worker's side of one translate job: the same one-file job as `subflow translate`
 * (jobs/translateSubtitleFile.ts), preceded by the `--skip-existing` check so a retried job whose
 * outputs were already renamed into place writes nothing twice.
 */

/**
 * Codes that say the job's own input is at fault (a corrupt or bitmap-only video, a file with no
 * cues, a bad config or corpus): retrying on another worker gives the same answer, so such a job
 * fails at once. Anything else (a worker's missing tool or model, storage, Redis) is retried.
 */
export const FILE_FAULT_CODES: ReadonlySet<SubflowErrorCode> = new Set<SubflowErrorCode>([
  'BAD_ARGUMENT',
  'OUTPUT_IS_INPUT',
  'INVALID_UTF8',
  'SUBTITLE_PARSE',
  'SUBTITLE_NO_STREAM',
  'SUBTITLE_BITMAP',
  'MEDIA_INVALID',
  'CONFIG_INVALID',
  'CORPUS_MISALIGNED',
  'CORPUS_EMPTY',
  'CORPUS_BAD_LINE',
]);

/** Progress a translate job reports (BullMQ job progress). */
export interface TranslateJobProgress {
  cues: number;
  cuesDone: number;
}

/**
 * The error a job fails with: `CODE: message` (the code is what status and events show), as an
 * UnrecoverableError for a {@link FILE_FAULT_CODES} code so BullMQ does not retry it.
 */
export function jobError(error: unknown): Error {
  if (!isSubflowError(error)) return error instanceof Error ? error : new Error(String(error));
  const message = `${error.code}: ${error.toUserString()}`;
  const wrapped = FILE_FAULT_CODES.has(error.code) ? new UnrecoverableError(message) : new Error(message);
  wrapped.cause = error;
  return wrapped;
}

/** The SubflowError code at the start of a failed job's reason, if any. */
export function failureCode(failedReason: string | undefined): string | undefined {
  return /^([A-Z][A-Z0-9_]+): /.exec(failedReason ?? '')?.[1];
}

/** What a job's translator reports while it works. */
export interface TranslatorHooks {
  onProgress?: (unitsDone: number, unitsTotal: number) => void;
  onWarning?: (warning: SubtitleWarning) => void;
}

/**
 * Where a worker gets the translator for a job's model and search options: loaded models by folder
 * (the bundled one when none is named), each loaded once per worker. Benchmarks and embedders may
 * hand in their own (bench/queue.ts times the queue with a no-op translator).
 */
export interface JobTranslators {
  get(
    data: Pick<TranslateJobData, 'model' | 'search'> & {
      options?: Pick<TranslateJobData['options'], 'split'>;
    },
    hooks?: TranslatorHooks,
  ): Promise<UnitTranslator>;
  dispose(): void;
}

/** {@link JobTranslators} over checkpoints on one backend; `log` hears which model and backend were loaded. */
export function modelTranslators(backend: string, log: (line: string) => void): JobTranslators {
  const loaded = new Map<string, Promise<TranslationModel>>();
  const model = (dir: string | undefined) => {
    const key = dir === undefined ? '' : resolve(dir);
    let found = loaded.get(key);
    if (!found) {
      found = loadModel(dir, { backend: backend as BackendName });
      loaded.set(key, found);
      found.then(
        (ready) => log(`worker: model ${ready.dir}; ${ready.backend.reason}`),
        () => loaded.delete(key),
      );
    }
    return found;
  };
  return {
    async get(data, hooks = {}) {
      return modelTranslator(await model(data.model), {
        ...data.search,
        alignments: data.options?.split === 'attention',
        ...hooks,
      });
    },
    dispose() {
      for (const found of loaded.values()) found.then((ready) => ready.dispose()).catch(() => undefined);
      loaded.clear();
    },
  };
}

/** How often a job's progress is written to Redis at most. */
const PROGRESS_INTERVAL_MS = 500;

/**
 * Warnings of one file logged in full; later ones are only counted, as `subflow translate` does. A
 * long track can warn on most of its cues, and a line each drowned the worker's log.
 */
const WARNINGS_PER_JOB = 5;

/**
 * Runs one translate job: skips it when its outputs are complete, else translates the file with
 * the job's model and options, reporting cues done; a failure is rethrown through {@link jobError}.
 */
export async function runTranslateJob(
  job: Job<TranslateJobData, TranslateJobResult>,
  translators: JobTranslators,
  log: (line: string) => void,
): Promise<TranslateJobResult> {
  const { input, options, out, fileCount } = job.data;
  const naming = { targetLanguage: options.targetLanguage, out, fileCount };
  try {
    const check = await outputsComplete(input, { ...naming, format: options.format, mux: options.mux });
    if (check.complete) {
      log(`worker: ${input.path}: outputs exist, nothing to do`);
      return { input: input.path, outputs: check.outputs, cues: 0, skipped: true };
    }
    let warnings = 0;
    const warn = (warning: SubtitleWarning) => {
      warnings += 1;
      const where = warning.line !== undefined ? `line ${warning.line}: ` : '';
      if (warnings <= WARNINGS_PER_JOB) log(`worker: ${input.path}: warning: ${where}${warning.message}`);
      else if (warnings === WARNINGS_PER_JOB + 1)
        log(`worker: ${input.path}: more warnings follow; only their number is reported`);
    };
    let cues = 0;
    let lastReport = 0;
    const report = (progress: TranslateJobProgress, force = false) => {
      if (!force && Date.now() - lastReport < PROGRESS_INTERVAL_MS) return;
      lastReport = Date.now();
      // Progress is advisory: a Redis hiccup must not fail the translation.
      job.updateProgress({ ...progress }).catch(() => undefined);
    };
    // The model is fetched only once the file has been read, so a corrupt file fails without it.
    const translateUnits: UnitTranslator = async (units, signal) =>
      (
        await translators.get(job.data, {
          onProgress: (done, total) =>
            report({ cues, cuesDone: total === 0 ? cues : Math.round((done / total) * cues) }),
          onWarning: warn,
        })
      )(units, signal);
    const result = await translateSubtitleFile(input, outputPaths(input, naming), {
      translateUnits,
      options,
      inputs: job.data.protect,
      hooks: {
        onCues: (count) => {
          cues = count;
          report({ cues, cuesDone: 0 }, true);
        },
        onWarning: warn,
      },
    });
    report({ cues, cuesDone: cues }, true);
    if (warnings > WARNINGS_PER_JOB) log(`worker: ${input.path}: ${warnings} warnings in all`);
    return { input: input.path, outputs: result.outputs, cues: result.cues, skipped: false };
  } catch (error) {
    throw jobError(error);
  }
}
