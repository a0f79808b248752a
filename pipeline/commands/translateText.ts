import type { Command } from 'commander';
import {
  concatMap,
  defaultIfEmpty,
  from,
  fromEvent,
  lastValueFrom,
  map,
  takeUntil,
  type Observable,
} from 'rxjs';
import { SubflowError } from '../../errors.js';
import { loadModel } from '../../model/translationModel.js';
import { decodingSettingsOf } from '../../model/translateSentences.js';
import { translate } from '../../operators/translate.js';
import { assertReadableFile, readLines } from '../../text/lines.js';
import type { Translation } from '../../types.js';
import { formatPharaoh, hardAlignment, wordAttention } from '../../text/wordAlignment.js';
import { withInterrupt } from '../interrupt.js';
import { checkTextOutput, openTextOutput, type TextOutput } from '../../text/textOutput.js';
import { decodingOptions, nBestOption, type DecodingFlags } from './decodingFlags.js';

interface TranslateTextFlags extends DecodingFlags {
  model?: string;
  input?: string;
  output?: string;
  alignment?: boolean;
}

/**
 * `subflow translate-text --model DIR [--beam K] [--n-best N] [--input F] [--output F]`: one
 * translation per input line, streamed (stdin → stdout by default). With --n-best N > 1 each input
 * gives N lines `i ||| text ||| score` (i 0-based, best first), as Moses and fairseq print them.
 * With --alignment each line is `text ||| 0-0 1-2 …`: for every word of the translation, the source
 * word it attends to most (Pharaoh format, 0-based word indices, words split at whitespace), as
 * OpenNMT's `-report_align` prints it.
 */
export function registerTranslateTextCommand(program: Command): void {
  const command = program
    .command('translate-text')
    .description('translate text line by line with a trained model (stdin → stdout, or files)')
    .option(
      '-m, --model <dir>',
      'checkpoint folder (model.json, weights.bin, source.model, target.model); default: the bundled models/bible-es-en',
    )
    .option('-i, --input <file>', 'text to translate, one sentence per line (default: stdin)')
    .option('-o, --output <file>', 'where to write translations (default: stdout); written via a temp file')
    .option(
      '--alignment',
      'add word alignments from the attention to each line: `text ||| 0-0 1-2 …` (source-target word indices, Pharaoh format)',
    );
  nBestOption(decodingOptions(command)).action(async (flags: TranslateTextFlags) => {
    if (flags.alignment && (flags.nBest ?? 1) > 1) {
      throw new SubflowError('BAD_ARGUMENT', '--alignment cannot be combined with --n-best', {
        key: 'alignment',
        hint: 'alignments are given for the best translation only; drop --n-best',
      });
    }
    if (flags.input) await assertReadableFile(flags.input);
    if (flags.output) await checkTextOutput(flags.output, flags.input ? [flags.input] : []);
    const translationModel = await loadModel(flags.model, { backend: flags.backend });
    process.stderr.write(`translate-text: ${translationModel.backend.reason}\n`);
    const options = decodingSettingsOf(flags);
    const output = flags.output
      ? await openTextOutput(flags.output, flags.input ? [flags.input] : [])
      : undefined;
    try {
      const count = await withInterrupt((signal) =>
        translateLines(flags.input, output, signal, (lines) =>
          lines.pipe(
            translate(translationModel, {
              ...options,
              returnAttention: flags.alignment ?? false,
              onWarning: (w) => process.stderr.write(`translate-text: line ${w.index + 1}: ${w.message}\n`),
            }),
          ),
        ),
      );
      await output?.commit();
      process.stderr.write(`translate-text: ${count} lines translated\n`);
    } catch (error) {
      await output?.abort();
      throw error;
    } finally {
      translationModel.dispose();
    }
  });
}

/** Streams input lines through `pipeline` and writes each result as it arrives; returns the line count. */
async function translateLines(
  input: string | undefined,
  output: TextOutput | undefined,
  signal: AbortSignal,
  pipeline: (lines: Observable<string>) => Observable<Translation>,
): Promise<number> {
  const lines = readLines(input ?? process.stdin, {
    signal,
    onInvalidUtf8: (w) => process.stderr.write(`translate-text: ${w.file}:${w.line}: ${w.message}\n`),
  });
  let index = 0;
  const write = async (text: string) => {
    if (output) await output.write(text);
    else if (!process.stdout.write(`${text}\n`)) await new Promise((ok) => process.stdout.once('drain', ok));
  };
  try {
    await lastValueFrom(
      pipeline(from(lines).pipe(map((line) => line.text))).pipe(
        takeUntil(fromEvent(signal, 'abort')),
        concatMap(async (translation: Translation) => {
          for (const line of formatTranslation(translation, index)) await write(line);
          index += 1;
        }),
        defaultIfEmpty(undefined),
      ),
    );
  } finally {
    // A read still waiting on stdin would keep the process alive after an interrupt; a file is
    // closed by the signal or at its end.
    if (!input) process.stdin.destroy();
  }
  if (signal.aborted) {
    throw new SubflowError('INTERRUPTED', `translate-text stopped after ${index} lines`, {
      hint: 'an --output file is only written when every line is translated',
    });
  }
  return index;
}

/**
 * The output lines of one translation: its text, `text ||| alignment` when it carries attention, or
 * `i ||| text ||| score` per n-best entry.
 */
export function formatTranslation(translation: Translation, index: number): string[] {
  const { attention, sourcePieces, targetPieces } = translation;
  if (attention && sourcePieces && targetPieces) {
    const links = hardAlignment(wordAttention(attention, sourcePieces, targetPieces));
    return [`${translation.text} ||| ${formatPharaoh(links)}`];
  }
  if (!translation.nBest) return [translation.text];
  return translation.nBest.map((entry) => `${index} ||| ${entry.text} ||| ${entry.score.toFixed(4)}`);
}
