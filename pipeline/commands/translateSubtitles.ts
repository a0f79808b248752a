import { Option, type Command } from 'commander';
import { SubflowError } from '../../errors.js';
import { translateSubtitles, type TranslateSubtitlesOptions } from '../../jobs/translateSubtitles.js';
import { withInterrupt } from '../interrupt.js';
import { REFLOW_DEFAULTS } from '../../subtitles/reflow.js';
import { backendOption, decodingOptions, integer, type DecodingFlags } from './decodingFlags.js';
import { DEFAULT_SPLIT, SPLIT_METHODS } from '../../subtitles/attentionSplit.js';

/**
 * `subflow translate [--model DIR] INPUT…`: translates the subtitle track of videos, subtitle files
 * and folders of them into `NAME.<to>.srt` files (and muxed copies with `--mux`). Exit code 1 when
 * any file failed, 130 when interrupted by Ctrl-C (SIGINT), 143 by SIGTERM.
 */
export function registerTranslateSubtitlesCommand(program: Command): void {
  const command = program
    .command('translate')
    .description('translate the subtitles of videos, subtitle files or folders of them (recursive)')
    .argument(
      '<inputs...>',
      'videos (.mkv .mp4 .m4v .mov .webm .avi), subtitle files (.srt .vtt .ass .ssa) or folders',
    );
  addTranslateJobOptions(command)
    .option(
      '--skip-existing',
      'skip a file whose outputs all exist and are newer than it (e.g. after Ctrl-C)',
    )
    .addOption(backendOption())
    .option('-q, --quiet', 'no progress bar, only log lines')
    .action(async (inputs: string[], flags: TranslateSubtitlesOptions & DecodingFlags) => {
      const log = (line: string) => void process.stderr.write(`${line}\n`);
      // The INTERRUPTED error is thrown inside withInterrupt, which records the signal for the exit code.
      const summary = await withInterrupt(async (signal) => {
        const run = await translateSubtitles(inputs, flags, {
          log,
          interactive: !flags.quiet && Boolean(process.stderr.isTTY),
          signal,
        });
        for (const result of run.translated) {
          for (const output of result.outputs) process.stdout.write(`${output}\n`);
        }
        if (run.interrupted) {
          throw new SubflowError('INTERRUPTED', 'translate was stopped', {
            hint: 'files listed above as translated are complete; rerun with --skip-existing for the rest',
          });
        }
        return run;
      });
      if (summary.failed.length > 0) process.exitCode = 1;
    });
}

/**
 * The flags that decide what a translation of files produces (model, track, language, format, output,
 * decoding, subtitle handling); `subflow translate` and `subflow queue add` share them. The backend is
 * not one of them: each worker picks its own.
 */
export function addTranslateJobOptions(command: Command): Command {
  command
    .option('-m, --model <dir>', 'checkpoint folder (default: the bundled models/bible-es-en)')
    .addOption(
      new Option('--stream <n>', 'subtitle stream of a video to translate (as `subflow inspect` lists it)')
        .argParser(integer(0))
        .conflicts('sourceLang'),
    )
    .option(
      '--source-lang <code>',
      "take the video subtitle track in this language (spa, es …); without it, a track in the model's source language is preferred",
    )
    .option(
      '--to <code>',
      "code in output names and the muxed track's language tag (default: the model's target language, else eng); must agree with a model that records its languages",
    )
    .addOption(
      new Option('--format <format>', 'output format (default: the source track’s)').choices([
        'srt',
        'vtt',
        'ass',
      ]),
    )
    .option('-o, --out <path>', 'output folder, or a subtitle file name when translating one file')
    .option('--mux', 'also write a copy of each video with the translated track added (NAME.<to>.mkv …)')
    .option(
      '--encoding <codepage>',
      'decode subtitle bytes with this encoding (cp1252, gbk …); default: detected',
    )
    .option('--strict', 'refuse malformed subtitles instead of repairing them with warnings')
    .option(
      '--max-line-length <n>',
      'characters per line (tags not counted)',
      integer(1),
      REFLOW_DEFAULTS.maxLineLength,
    )
    .option('--max-lines <n>', 'lines per cue', integer(1), REFLOW_DEFAULTS.maxLines)
    .addOption(
      new Option(
        '--split <method>',
        "how a sentence merged from several cues is split back over them: at the words the model's attention aligns with each cue boundary, or by length",
      )
        .choices(SPLIT_METHODS)
        .default(DEFAULT_SPLIT),
    )
    .option('--bom', 'start written subtitle files with a UTF-8 byte order mark');
  return decodingOptions(command, { backend: false });
}
