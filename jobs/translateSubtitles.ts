import { basename, extname } from 'node:path';
import { SubflowError } from '../errors.js';
import type { BackendName } from '../model/backend.js';
import { loadModel } from '../model/translationModel.js';
import { modelTranslator } from '../operators/translateCues.js';
import type { TranslateOptions } from '../model/translateSentences.js';
import type { SubtitleFormat } from '../subtitles/cue.js';
import { checkEncodingName } from '../subtitles/encoding.js';
import { formatFromFileName } from '../subtitles/formats.js';
import { iso6392Codes, toIso6392 } from '../subtitles/mediaLanguages.js';
import { formatSummary, planRun, runSubtitleJobs, type SubtitleRunSummary } from './runSubtitleJobs.js';
import type { SubtitleJobOptions } from './translateSubtitleFile.js';
import { FORMAT_EXTENSIONS, outIsFile } from './subtitleInputs.js';
import { createJobsReporter } from './jobsReporter.js';

/** Settings of a subtitle translation run: `subflow translate`'s flags, the service's and the queue's job options. */
export interface TranslateSubtitlesOptions {
  model?: string;
  stream?: number;
  sourceLang?: string;
  to: string;
  format?: SubtitleFormat;
  out?: string;
  mux?: boolean;
  beam: number;
  alpha: number;
  batchSize: number;
  maxTokens: number;
  encoding?: string;
  strict?: boolean;
  maxLineLength: number;
  maxLines: number;
  bom?: boolean;
  backend: string;
  quiet?: boolean;
}

/** Where a run reports to; the CLI uses stderr, tests and the demo may collect lines. */
export interface TranslateSubtitlesIo {
  /** One line of progress or summary (stderr). */
  log: (line: string) => void;
  /** Draw a live progress bar on stderr. */
  interactive: boolean;
  signal?: AbortSignal;
}

/** Checks the language and encoding flags before any model is loaded; returns the job options. */
export function jobOptionsOf(flags: TranslateSubtitlesOptions): SubtitleJobOptions {
  if (flags.sourceLang !== undefined) iso6392Codes(flags.sourceLang, 'source-lang');
  if (flags.encoding !== undefined) checkEncodingName(flags.encoding);
  return {
    stream: flags.stream,
    sourceLanguage: flags.sourceLang,
    targetLanguage: toIso6392(flags.to, 'to'),
    format: flags.format,
    mux: flags.mux ?? false,
    encoding: flags.encoding,
    strict: flags.strict ?? false,
    bom: flags.bom ?? false,
    maxLineLength: flags.maxLineLength,
    maxLines: flags.maxLines,
  };
}

/** Refuses `--format` naming another format than the `--out FILE` extension, which would mislabel the file. */
function checkOutFormat(flags: TranslateSubtitlesOptions): void {
  if (flags.format === undefined || flags.out === undefined) return;
  const named = formatFromFileName(flags.out);
  if (named !== undefined && named !== flags.format) {
    throw new SubflowError(
      'BAD_ARGUMENT',
      `--format ${flags.format} contradicts --out ${flags.out}, a .${extname(flags.out).slice(1)} file name`,
      {
        key: 'format',
        hint: `drop --format (the --out extension decides the format) or name the file ${basename(flags.out, extname(flags.out))}${FORMAT_EXTENSIONS[flags.format]}`,
      },
    );
  }
}

/**
 * The whole of `subflow translate` without commander: plans the files, loads the model once,
 * translates every file and returns the summary (already logged). The demo script runs this too.
 */
export async function translateSubtitles(
  inputs: readonly string[],
  flags: TranslateSubtitlesOptions,
  io: TranslateSubtitlesIo,
): Promise<SubtitleRunSummary> {
  const options = jobOptionsOf(flags);
  checkOutFormat(flags);
  const { files, unusable } = await planRun(inputs, options);
  if (flags.out !== undefined && outIsFile(flags.out) && files.length + unusable.length > 1) {
    throw new SubflowError(
      'BAD_ARGUMENT',
      `--out ${flags.out} is a file name, but ${files.length + unusable.length} inputs are translated`,
      {
        key: 'out',
        hint: 'give --out a folder when translating several files',
      },
    );
  }
  const translationModel = await loadModel(flags.model, { backend: flags.backend as BackendName });
  io.log(`translate: model ${translationModel.dir}; ${translationModel.backend.reason}`);
  const reporter = createJobsReporter({
    fileCount: files.length + unusable.length,
    interactive: io.interactive,
    log: io.log,
  });
  const search: TranslateOptions = {
    beam: flags.beam,
    alpha: flags.alpha,
    batchSize: flags.batchSize,
    maxTokens: flags.maxTokens,
  };
  try {
    const summary = await runSubtitleJobs({
      files,
      unusable,
      options,
      out: flags.out,
      reporter,
      signal: io.signal,
      translateUnits: modelTranslator(translationModel, {
        ...search,
        onProgress: (done, total) => reporter.units(done, total),
        onWarning: (warning) => reporter.warning(warning),
      }),
    });
    for (const line of formatSummary(summary)) io.log(line);
    return summary;
  } finally {
    reporter.stop();
    translationModel.dispose();
  }
}
