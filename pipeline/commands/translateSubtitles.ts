import { Option, type Command } from 'commander';
import { SubflowError } from '../../errors.js';
import { translateSubtitles, type TranslateSubtitlesOptions } from '../../jobs/translateSubtitles.js';
import { withInterrupt } from '../interrupt.js';
import { DEFAULT_MAX_SOURCE_LENGTH } from '../../model/translateSentences.js';
import { backendChoices, integer, MAX_SOURCE_LENGTH_HELP, nonNegative } from './decodingFlags.js';

/**
 * `subflow translate [--model DIR] INPUT…`: translates the subtitle track of videos, subtitle files
 * and folders of them into `NAME.<to>.srt` files (and muxed copies with `--mux`). Exit code 1 when
 * any file failed, 130 when interrupted.
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
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(backendChoices).default('auto'))
    .option('-q, --quiet', 'no progress bar, only log lines')
    .action(async (inputs: string[], flags: TranslateSubtitlesOptions) => {
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
          hint: 'files listed above as translated are complete; rerun with --skip-existing for the rest',
        });
      }
      if (summary.failed.length > 0) process.exitCode = 1;
    });
}

/**
 * The flags that decide what a translation of files produces (model, track, language, format, output,
 * decoding, subtitle handling); `subflow translate` and `subflow queue add` share them.
 */
export function addTranslateJobOptions(command: Command): Command {
  return command
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
    .option('--max-source-length <n>', MAX_SOURCE_LENGTH_HELP, integer(1), DEFAULT_MAX_SOURCE_LENGTH)
    .option(
      '--encoding <codepage>',
      'decode subtitle bytes with this encoding (cp1252, gbk …); default: detected',
    )
    .option('--strict', 'refuse malformed subtitles instead of repairing them with warnings')
    .option('--max-line-length <n>', 'characters per line (tags not counted)', integer(1), 42)
    .option('--max-lines <n>', 'lines per cue', integer(1), 2)
    .option('--bom', 'start written subtitle files with a UTF-8 byte order mark');
}
