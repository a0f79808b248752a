import { Option, type Command } from 'commander';
import { SubflowError } from '../../errors.js';
import type { BackendName } from '../../model/backend.js';
import { loadModel } from '../../operators/loadModel.js';
import { modelTranslator } from '../../operators/translateCues.js';
import type { TranslateOptions } from '../../operators/translator.js';
import type { SubtitleFormat } from '../../subtitles/cue.js';
import { checkEncodingName } from '../../subtitles/encoding.js';
import { iso6392Codes, toIso6392 } from '../../subtitles/mediaLanguages.js';
import { resolveModelDir } from '../defaultModel.js';
import { withInterrupt } from '../interrupt.js';
import { backendChoices, integer, nonNegative } from './decodingFlags.js';
import { formatSummary, planRun, runSubtitleJobs, type SubtitleRunSummary } from './subtitleJobs.js';
import type { SubtitleJobOptions } from './subtitleJobsFile.js';
import { outIsFile } from './subtitleJobsInputs.js';
import { createJobsReporter } from './subtitleJobsProgress.js';

/** `subflow translate` settings, as commander parses them. */
export interface TranslateSubtitlesFlags {
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
export function jobOptionsOf(flags: TranslateSubtitlesFlags): SubtitleJobOptions {
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

/**
 * The whole of `subflow translate` without commander: plans the files, loads the model once,
 * translates every file and returns the summary (already logged). The demo script runs this too.
 */
export async function translateSubtitles(
  inputs: readonly string[],
  flags: TranslateSubtitlesFlags,
  io: TranslateSubtitlesIo,
): Promise<SubtitleRunSummary> {
  const options = jobOptionsOf(flags);
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
  const modelDir = resolveModelDir(flags.model);
  const translationModel = await loadModel(modelDir, { backend: flags.backend as BackendName });
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

/**
 * `subflow translate [--model DIR] INPUT…`: translates the subtitle track of videos, subtitle files
 * and folders of them into `NAME.<to>.srt` files (and muxed copies with `--mux`). Exit code 1 when
 * any file failed, 130 when interrupted.
 */
export function registerTranslateSubtitlesCommand(program: Command): void {
  program
    .command('translate')
    .description('translate the subtitles of videos, subtitle files or folders of them (recursive)')
    .argument(
      '<inputs...>',
      'videos (.mkv .mp4 .m4v .mov .webm .avi), subtitle files (.srt .vtt .ass .ssa) or folders',
    )
    .option('-m, --model <dir>', 'checkpoint folder (default: the bundled models/bible-es-en)')
    .addOption(
      new Option('--stream <n>', 'subtitle stream of a video to translate (as `subflow inspect` lists it)')
        .argParser(integer(0))
        .conflicts('sourceLang'),
    )
    .option('--source-lang <code>', 'take the video subtitle track in this language (spa, es …)')
    .option('--to <code>', 'language of the translation: output names and the muxed track tag', 'eng')
    .addOption(
      new Option('--format <format>', 'output format (default: the source track’s)').choices([
        'srt',
        'vtt',
        'ass',
      ]),
    )
    .option('-o, --out <path>', 'output folder, or a subtitle file name when translating one file')
    .option('--mux', 'also write a copy of each video with the translated track added (NAME.<to>.mkv …)')
    .option('-b, --beam <k>', 'beam size; 1 is greedy', integer(1), 5)
    .option('--alpha <a>', 'GNMT length-penalty exponent', nonNegative, 0.6)
    .option('--batch-size <n>', 'sentences decoded together', integer(1), 64)
    .option('--max-tokens <n>', 'source tokens (with padding) per batch', integer(1), 4000)
    .option(
      '--encoding <codepage>',
      'decode subtitle bytes with this encoding (cp1252, gbk …); default: detected',
    )
    .option('--strict', 'refuse malformed subtitles instead of repairing them with warnings')
    .option('--max-line-length <n>', 'characters per line (tags not counted)', integer(1), 42)
    .option('--max-lines <n>', 'lines per cue', integer(1), 2)
    .option('--bom', 'start written subtitle files with a UTF-8 byte order mark')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(backendChoices).default('auto'))
    .option('-q, --quiet', 'no progress bar, only log lines')
    .action(async (inputs: string[], flags: TranslateSubtitlesFlags) => {
      const log = (line: string) => void process.stderr.write(`${line}\n`);
      const summary = await withInterrupt((signal) =>
        translateSubtitles(inputs, flags, {
          log,
          interactive: !flags.quiet && Boolean(process.stderr.isTTY),
          signal,
        }),
      );
      for (const result of summary.translated) {
        for (const output of result.outputs) process.stdout.write(`${output}\n`);
      }
      if (summary.interrupted) {
        throw new SubflowError('INTERRUPTED', 'translate was stopped', {
          hint: 'files listed above as translated are complete; rerun for the rest',
        });
      }
      if (summary.failed.length > 0) process.exitCode = 1;
    });
}
