import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FlowProducer, Queue, type FlowJob, type JobState } from 'bullmq';
import { SubflowError } from '../errors.js';
import { planRun, type FailedFile, type SkippedFile } from '../jobs/runSubtitleJobs.js';
import { outputsComplete } from '../jobs/skipExisting.js';
import { FORMAT_EXTENSIONS, outIsFile, outputPaths, type InputFile } from '../jobs/subtitleInputs.js';
import { jobOptionsOf, type TranslateSubtitlesOptions } from '../jobs/translateSubtitles.js';
import type { SubtitleJobOptions } from '../jobs/translateSubtitleFile.js';
import { readModelLanguages } from '../model/checkpoint.js';
import { resolveModelDir } from '../model/defaultModel.js';
import { decodingSettingsOf, type DecodingSettings } from '../model/translateSentences.js';
import type { SubtitleFormat } from '../subtitles/cue.js';
import { formatFromFileName } from '../subtitles/formats.js';
import { QUEUE_NAMES, QUEUE_PREFIX, redisConnection, whenReachable } from './queueConnection.js';

/*
 * `subflow queue add`: the files `subflow translate` would translate, one BullMQ job each, under a
 * parent job for the submission (a FlowProducer flow). Jobs carry absolute paths and options, never
 * file contents, so every worker must see the same storage under the same paths.
 */

/** The search options a translate job carries (the decoding flags of `subflow translate`). */
export type JobSearchOptions = Omit<DecodingSettings, 'nBest'>;

/** What a worker needs to translate one file, exactly as `subflow translate` would. */
export interface TranslateJobData {
  /** The input, with an absolute path (and root, for `--out` sub-folders). */
  input: InputFile;
  /** `--out`, absolute. */
  out?: string;
  /** Files of the whole submission (an `--out FILE` needs exactly one). */
  fileCount: number;
  options: SubtitleJobOptions;
  search: JobSearchOptions;
  /** Checkpoint folder, absolute; the bundled model when absent. */
  model?: string;
  /** Inputs this file's outputs must not overwrite: itself and any other input its output names could hit. */
  protect: string[];
  submission: string;
}

/** What a finished translate job returns (its BullMQ return value). */
export interface TranslateJobResult {
  input: string;
  outputs: string[];
  cues: number;
  /** True when the outputs were already complete and nothing was written. */
  skipped: boolean;
}

/** The parent job of a submission: its files, so status and events can find the children. */
export interface SubmissionData {
  files: { jobId: string; input: string }[];
}

/** Retry policy of the jobs of a submission. */
export interface RetryPolicy {
  /** Tries per job before it fails for good (`--attempts`). Default 3. */
  attempts: number;
  /** First retry delay; doubled on each retry (exponential backoff). Default 5000 ms. */
  backoffMs: number;
}

/** Default retry policy of `queue add` and `queue run`. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoffMs: 5000 };

/** What `queue add` did. */
export interface EnqueueSummary {
  /** Id of the parent job; absent when nothing needed queueing. */
  submission?: string;
  queued: { input: string; jobId: string }[];
  /** Files whose outputs exist and are complete (the rule of `--skip-existing`). */
  skipped: SkippedFile[];
  /** Files whose job (same file, same size and mtime, same options) is already in the queue. */
  alreadyQueued: { input: string; jobId: string; state: JobState | 'unknown' }[];
  /** Inputs that could not be queued: missing, or whose outputs could collide with another's. */
  refused: FailedFile[];
}

/** Options of {@link enqueueTranslations}. */
export interface EnqueueOptions {
  /** `redis://host:port`. */
  redisUrl: string;
  retry?: RetryPolicy;
}

/** Stable JSON: object keys sorted, so equal options hash equally. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The BullMQ job id of one file: a hash of its absolute path, size, mtime and the options hash, so
 * re-adding an unchanged file with the same options finds the same job (ids must not hold ':').
 */
export function translateJobId(
  path: string,
  sizeBytes: number,
  mtimeMs: number,
  optionsHash: string,
): string {
  return `tr-${sha256(stableJson({ path, sizeBytes, mtimeMs, optionsHash })).slice(0, 40)}`;
}

/** The subtitle output names a file could get: one when the format is known before probing, else one per format. */
function candidateOutputs(
  file: InputFile,
  data: Omit<TranslateJobData, 'input' | 'protect' | 'submission'>,
): string[] {
  const paths = outputPaths(file, {
    targetLanguage: data.options.targetLanguage,
    out: data.out,
    fileCount: data.fileCount,
  });
  const fixed: SubtitleFormat | undefined =
    data.options.format ??
    paths.format ??
    (file.kind === 'subtitle' ? formatFromFileName(file.path) : undefined);
  const formats = fixed ? [fixed] : (Object.keys(FORMAT_EXTENSIONS) as SubtitleFormat[]);
  const outputs = formats.map((format) => resolve(paths.subtitle(format)));
  if (data.options.mux && file.kind === 'video') outputs.push(resolve(paths.muxed));
  return outputs;
}

/**
 * Queues the files behind `inputs` (found exactly as `subflow translate` finds them) as one
 * submission. Files whose outputs are complete are skipped, files already queued with the same
 * options are not queued twice, and a file whose outputs could collide with an earlier file's is
 * refused here rather than failing on a worker.
 */
export async function enqueueTranslations(
  inputs: readonly string[],
  flags: TranslateSubtitlesOptions,
  options: EnqueueOptions,
): Promise<EnqueueSummary> {
  // As `subflow translate` does: --to defaults to, and must agree with, the model's target language.
  const modelDir = resolveModelDir(flags.model);
  const jobOptions = jobOptionsOf(flags, { dir: modelDir, languages: readModelLanguages(modelDir) });
  const { files, unusable } = await planRun(inputs, jobOptions);
  const fileCount = files.length + unusable.length;
  if (flags.out !== undefined && outIsFile(flags.out) && fileCount > 1) {
    throw new SubflowError(
      'BAD_ARGUMENT',
      `--out ${flags.out} is a file name, but ${fileCount} inputs are queued`,
      {
        key: 'out',
        hint: 'give --out a folder when translating several files',
      },
    );
  }
  const common = {
    out: flags.out === undefined ? undefined : resolve(flags.out),
    fileCount,
    options: jobOptions,
    // nBest is not a subtitle setting: one translation per cue is all a track can hold.
    search: { ...decodingSettingsOf(flags), nBest: undefined },
    model: flags.model === undefined ? undefined : resolve(flags.model),
  };
  const optionsHash = sha256(stableJson(common));
  const absolute = files.map((file) => ({
    ...file,
    path: resolve(file.path),
    root: file.root === undefined ? undefined : resolve(file.root),
  }));
  const inputSet = new Set(absolute.map((file) => file.path));

  const summary: EnqueueSummary = {
    queued: [],
    skipped: [],
    alreadyQueued: [],
    refused: unusable.map((item) => ({ input: item.input, error: item.error })),
  };
  const connection = redisConnection(options.redisUrl);
  const queue = new Queue(QUEUE_NAMES.translate, { connection, prefix: QUEUE_PREFIX });
  const claimed = new Map<string, string>();
  const children: { data: TranslateJobData; jobId: string }[] = [];
  try {
    await whenReachable(queue, options.redisUrl);
    for (const file of absolute) {
      const check = await outputsComplete(file, {
        targetLanguage: jobOptions.targetLanguage,
        out: common.out,
        fileCount,
        format: jobOptions.format,
        mux: jobOptions.mux,
      });
      if (check.complete) {
        summary.skipped.push({ input: file.path, outputs: check.outputs });
        continue;
      }
      const info = await stat(file.path);
      const jobId = translateJobId(file.path, info.size, info.mtimeMs, optionsHash);
      const existing = await queue.getJob(jobId);
      if (existing) {
        const state = await existing.getState();
        summary.alreadyQueued.push({ input: file.path, jobId, state });
        continue;
      }
      const outputs = candidateOutputs(file, common);
      const clash = outputs.find((output) => claimed.has(output));
      if (clash !== undefined) {
        summary.refused.push({
          input: file.path,
          error: new SubflowError(
            'BAD_ARGUMENT',
            `${file.path} could write ${clash}, which ${claimed.get(clash)} writes in this submission`,
            { file: clash, hint: 'translate them into different folders (--out), or rename one of them' },
          ),
        });
        continue;
      }
      for (const output of outputs) claimed.set(output, file.path);
      const protect = [
        file.path,
        ...outputs.filter((output) => inputSet.has(output) && output !== file.path),
      ];
      children.push({ jobId, data: { input: file, ...common, protect, submission: '' } });
    }
    if (children.length === 0) return summary;

    const submission = `sub-${sha256(children.map((child) => child.jobId).join(',')).slice(0, 24)}`;
    const retry = options.retry ?? DEFAULT_RETRY;
    const flow: FlowJob = {
      name: 'submission',
      queueName: QUEUE_NAMES.submissions,
      prefix: QUEUE_PREFIX,
      data: {
        files: children.map((child) => ({ jobId: child.jobId, input: child.data.input.path })),
      } satisfies SubmissionData,
      opts: { jobId: submission },
      children: children.map((child) => ({
        name: 'translate',
        queueName: QUEUE_NAMES.translate,
        prefix: QUEUE_PREFIX,
        data: { ...child.data, submission } satisfies TranslateJobData,
        opts: {
          jobId: child.jobId,
          attempts: retry.attempts,
          backoff: { type: 'exponential', delay: retry.backoffMs },
          // A file that fails for good is set aside so the submission still finishes with the rest.
          ignoreDependencyOnFailure: true,
        },
      })),
    };
    const producer = new FlowProducer({ connection, prefix: QUEUE_PREFIX });
    try {
      await producer.add(flow);
    } finally {
      await producer.close();
    }
    summary.submission = submission;
    summary.queued = children.map((child) => ({ input: child.data.input.path, jobId: child.jobId }));
    return summary;
  } finally {
    await queue.close();
  }
}
