import { basename, extname } from 'node:path';
import { SubflowError } from '../errors.js';
import type { BackendName } from '../model/backend.js';
import { readModelLanguages } from '../model/checkpoint.js';
import type { ModelLanguages } from '../model/checkpointFormat.js';
import { resolveModelDir } from '../model/defaultModel.js';
import { loadModel } from '../model/translationModel.js';
import { modelTranslator } from '../operators/translateCues.js';
import { decodingSettingsOf, type DecodingSettings } from '../model/translateSentences.js';
import { DEFAULT_SPLIT, type SplitMethod } from '../subtitles/attentionSplit.js';
import type { SubtitleFormat } from '../subtitles/cue.js';
import { checkEncodingName } from '../subtitles/encoding.js';
import { formatFromFileName } from '../subtitles/formats.js';
import { iso6392Codes, toIso6392 } from '../subtitles/mediaLanguages.js';
import { formatSummary, planRun, runSubtitleJobs, type SubtitleRunSummary } from './runSubtitleJobs.js';
import type { SubtitleJobOptions } from './translateSubtitleFile.js';
import { checkPlannedOutputs, FORMAT_EXTENSIONS, outIsFile } from './subtitleInputs.js';
import { createJobsReporter } from './jobsReporter.js';

/**
 * Settings of a subtitle translation run: `subflow translate`'s flags, the service's and the queue's
 * job options. Decoding settings left out take translateSentences' defaults (TRANSLATE_DEFAULTS).
 */
export interface TranslateSubtitlesOptions extends Omit<DecodingSettings, 'nBest'> {
  model?: string;
  stream?: number;
  sourceLang?: string;
  /** Code in output names and the muxed track's tag; default: the model's target language, else eng. */
  to?: string;
  format?: SubtitleFormat;
  out?: string;
  mux?: boolean;
  encoding?: string;
  strict?: boolean;
  maxLineLength: number;
  maxLines: number;
  /** How a merged sentence's translation is split back over its cues. Default DEFAULT_SPLIT. */
  split?: SplitMethod;
  bom?: boolean;
  backend: BackendName;
  quiet?: boolean;
  /** Skip files whose outputs exist and are complete (see jobs/skipExisting.ts). */
  skipExisting?: boolean;
}

/** Where a run reports to; the CLI uses stderr, tests and the demo may collect lines. */
export interface TranslateSubtitlesIo {
  /** One line of progress or summary (stderr). */
  log: (line: string) => void;
  /** Draw a live progress bar on stderr. */
  interactive: boolean;
  signal?: AbortSignal;
}

/** The tag of a model that records no languages, as before models did. */
const DEFAULT_TARGET_TAG = 'eng';

/**
 * The ISO 639-2 code for output names and the muxed track: `to` when given, else the model's target
 * language, else eng. `--to` is a label, not a request: it cannot make a model write another language,
 * so one that contradicts the model's recorded target language is refused.
 * @throws SubflowError BAD_ARGUMENT (not a language code, or not the model's target language)
 */
export function targetTagOf(
  to: string | undefined,
  model?: { dir: string; languages?: ModelLanguages },
): string {
  const languages = model?.languages;
  if (to === undefined) return languages ? toIso6392(languages.target) : DEFAULT_TARGET_TAG;
  const tag = toIso6392(to, 'to');
  if (languages && !iso6392Codes(to, 'to').some((code) => iso6392Codes(languages.target).includes(code))) {
    const target = toIso6392(languages.target);
    throw new SubflowError(
      'BAD_ARGUMENT',
      `--to ${to} contradicts the model ${model!.dir}, which translates ${languages.source} → ${languages.target} (${target})`,
      {
        key: 'to',
        hint: `--to only names the output files and tags the muxed track; it cannot change the language the model writes. Leave it out (it defaults to ${target}) or use a model that translates into ${to}`,
      },
    );
  }
  return tag;
}

/**
 * Checks the language and encoding flags (before any model is loaded: `model` then only adds what
 * the model's folder records) and returns the job options.
 */
export function jobOptionsOf(
  flags: TranslateSubtitlesOptions,
  model?: { dir: string; languages?: ModelLanguages },
): SubtitleJobOptions {
  if (flags.sourceLang !== undefined) iso6392Codes(flags.sourceLang, 'source-lang');
  if (flags.encoding !== undefined) checkEncodingName(flags.encoding);
  return {
    stream: flags.stream,
    sourceLanguage: flags.sourceLang,
    ...(model?.languages ? { modelLanguages: model.languages } : {}),
    targetLanguage: targetTagOf(flags.to, model),
    format: flags.format,
    mux: flags.mux ?? false,
    encoding: flags.encoding,
    strict: flags.strict ?? false,
    bom: flags.bom ?? false,
    maxLineLength: flags.maxLineLength,
    maxLines: flags.maxLines,
    split: flags.split ?? DEFAULT_SPLIT,
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
  jobOptionsOf(flags);
  checkOutFormat(flags);
  const modelDir = resolveModelDir(flags.model);
  const options = jobOptionsOf(flags, { dir: modelDir, languages: readModelLanguages(modelDir) });
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
  await checkPlannedOutputs(files, {
    targetLanguage: options.targetLanguage,
    out: flags.out,
    fileCount: files.length + unusable.length,
    format: options.format,
    mux: options.mux,
  });
  const translationModel = await loadModel(modelDir, { backend: flags.backend });
  const pair = translationModel.languages;
  const named = pair ? ` (${pair.source} → ${pair.target})` : '';
  io.log(`translate: model ${translationModel.dir}${named}; ${translationModel.backend.reason}`);
  const reporter = createJobsReporter({
    fileCount: files.length + unusable.length,
    interactive: io.interactive,
    log: io.log,
  });
  // nBest is not a subtitle setting: one translation per cue is all a track can hold.
  const search = { ...decodingSettingsOf(flags), nBest: undefined };
  try {
    const summary = await runSubtitleJobs({
      files,
      unusable,
      options,
      out: flags.out,
      reporter,
      signal: io.signal,
      skipExisting: flags.skipExisting ?? false,
      translateUnits: modelTranslator(translationModel, {
        ...search,
        alignments: options.split === 'attention',
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
