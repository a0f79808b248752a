import { resolve } from 'node:path';
import { isSubflowError, SubflowError } from '../errors.js';
import { guardInputs } from '../outputPath.js';
import type { UnitTranslator } from '../operators/translateCues.js';
import {
  translateSubtitleFile,
  type SubtitleJobOptions,
  type SubtitleJobResult,
} from './translateSubtitleFile.js';
import { collectInputs, outputPaths, type InputFile } from './subtitleInputs.js';
import { describeFailure, type JobsReporter } from './jobsReporter.js';
import { outputsComplete } from './skipExisting.js';

/*
 * A whole `subflow translate` run: every file in turn, a failed file reported and the rest going on,
 * and a summary. The model is loaded once by the caller and shared through `translateUnits`.
 */

/** One file that could not be translated. */
export interface FailedFile {
  input: string;
  error: unknown;
}

/** A file left alone because its outputs exist (`--skip-existing`). */
export interface SkippedFile {
  input: string;
  outputs: string[];
}

/** The outcome of a run. */
export interface SubtitleRunSummary {
  translated: SubtitleJobResult[];
  failed: FailedFile[];
  /** Files whose outputs already existed, with `skipExisting`. */
  skipped: SkippedFile[];
  cues: number;
  seconds: number;
  /** True when Ctrl-C stopped the run before every file was done. */
  interrupted: boolean;
}

/** The files of a run, expanded from INPUT arguments; see `collectInputs`. */
export async function planRun(
  args: readonly string[],
  options: Pick<SubtitleJobOptions, 'targetLanguage'>,
): Promise<{ files: InputFile[]; unusable: FailedFile[] }> {
  const collected = await collectInputs(args, { targetLanguages: [options.targetLanguage] });
  return {
    files: collected.files,
    unusable: collected.unusable.map((item) => ({ input: item.path, error: item.error })),
  };
}

/** Everything a run needs. */
export interface SubtitleRunContext {
  files: readonly InputFile[];
  /** Inputs that were already found unusable, reported first. */
  unusable?: readonly FailedFile[];
  translateUnits: UnitTranslator;
  options: SubtitleJobOptions;
  /** `--out`. */
  out?: string;
  reporter: JobsReporter;
  signal?: AbortSignal;
  /** Leave a file alone when its outputs exist and are complete (see `outputsComplete`). Default false. */
  skipExisting?: boolean;
  /** Told when the translator starts a file, so progress can be routed to it. */
  onFileStart?: (input: InputFile) => void;
}

/**
 * Translates `files` one after another. A failing file is reported with its error and the run goes
 * on; two inputs that would write the same output make the second one fail. With `skipExisting`, a
 * file whose outputs are complete is skipped (and reported so). Ctrl-C (`signal`) stops after the
 * current step, with `interrupted` set in the summary.
 */
export async function runSubtitleJobs(context: SubtitleRunContext): Promise<SubtitleRunSummary> {
  const { files, reporter, options } = context;
  const started = performance.now();
  const failed: FailedFile[] = [];
  const translated: SubtitleJobResult[] = [];
  const skipped: SkippedFile[] = [];
  const unusable = context.unusable ?? [];
  const total = files.length + unusable.length;
  // Resolved once for the run: every file's outputs are checked against all of them.
  const inputs = guardInputs(files.map((file) => file.path));
  const claimed = new Map<string, string>();
  let interrupted = false;

  unusable.forEach((item, k) => {
    reporter.fileStarted(k + 1, item.input);
    reporter.fileFailed(item.input, item.error);
    failed.push(item);
  });
  for (const [k, file] of files.entries()) {
    if (context.signal?.aborted) {
      interrupted = true;
      break;
    }
    reporter.fileStarted(unusable.length + k + 1, file.path);
    const fileStart = performance.now();
    try {
      const naming = { targetLanguage: options.targetLanguage, out: context.out, fileCount: total };
      const paths = outputPaths(file, naming);
      if (context.skipExisting) {
        const check = await outputsComplete(file, { ...naming, format: options.format, mux: options.mux });
        if (check.complete) {
          // Claimed all the same: a later input of the run must not overwrite them.
          for (const output of check.outputs) claim(claimed, output, file.path);
          skipped.push({ input: file.path, outputs: check.outputs });
          reporter.fileSkipped(check.outputs);
          continue;
        }
      }
      context.onFileStart?.(file);
      const result = await translateSubtitleFile(file, paths, {
        translateUnits: context.translateUnits,
        options,
        inputs,
        signal: context.signal,
        hooks: {
          onCues: (count) => reporter.cues(count),
          onStream: (description) => reporter.stream?.(description),
          onWarning: (warning) => reporter.warning(warning),
          reserve: (path) => claim(claimed, path, file.path),
        },
      });
      translated.push(result);
      reporter.fileDone(result.outputs, result.cues, (performance.now() - fileStart) / 1000);
    } catch (error) {
      failed.push({ input: file.path, error });
      reporter.fileFailed(file.path, error);
      if (isSubflowError(error, 'INTERRUPTED') || context.signal?.aborted) {
        interrupted = true;
        break;
      }
    }
  }
  reporter.stop();
  return {
    translated,
    failed,
    skipped,
    cues: translated.reduce((sum, result) => sum + result.cues, 0),
    seconds: (performance.now() - started) / 1000,
    interrupted,
  };
}

/** Records that `input` is about to write `path`; refuses a path an earlier input of the run wrote. */
function claim(claimed: Map<string, string>, path: string, input: string): void {
  const key = resolve(path);
  const owner = claimed.get(key);
  if (owner !== undefined && owner !== input) {
    throw new SubflowError(
      'BAD_ARGUMENT',
      `${input} would overwrite ${path}, written for ${owner} in this run`,
      {
        file: path,
        hint: 'translate them into different folders (--out), or rename one of them',
      },
    );
  }
  claimed.set(key, input);
}

/** The summary lines printed at the end of a run (stderr). */
export function formatSummary(summary: SubtitleRunSummary): string[] {
  const skipped = summary.skipped.length;
  const files = summary.translated.length + summary.failed.length + skipped;
  const lines = [
    `translate: ${summary.translated.length} of ${files} file(s) translated, ${summary.failed.length} failed` +
      (skipped > 0 ? `, ${skipped} skipped (outputs exist); ` : '; ') +
      `${summary.cues} cues in ${summary.seconds.toFixed(1)} s` +
      (summary.interrupted ? ' (interrupted)' : ''),
  ];
  for (const failure of summary.failed) {
    lines.push(`  failed: ${failure.input}: ${describeFailure(failure.error).split('\n')[0]}`);
  }
  return lines;
}
