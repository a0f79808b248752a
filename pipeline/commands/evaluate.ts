import type { Command } from 'commander';
import { evaluateModel, formatScores } from '../../jobs/evaluateModel.js';
import { loadModel } from '../../model/translationModel.js';
import { decodingSettingsOf } from '../../model/translateSentences.js';
import { readLines, type InvalidUtf8Warning } from '../../text/lines.js';
import { withInterrupt } from '../interrupt.js';
import { decodingOptions, integer, type DecodingFlags } from './decodingFlags.js';
import { translateSentences } from '../../model/translateSentences.js';
import { writeAttentionPlots } from '../../report/attentionPlots.js';
import { checkTextOutput, openTextOutput } from '../../text/textOutput.js';

interface EvalFlags extends DecodingFlags {
  model?: string;
  src: string;
  ref: string;
  out?: string;
  json?: boolean;
  attentionPlots?: string;
  sentences: number;
}

async function readAll(file: string): Promise<string[]> {
  const lines: string[] = [];
  const onInvalidUtf8 = (w: InvalidUtf8Warning) =>
    process.stderr.write(`eval: ${w.file}:${w.line}: ${w.message}\n`);
  for await (const line of readLines(file, { onInvalidUtf8 })) lines.push(line.text);
  return lines;
}

/** `subflow eval --model DIR --src F --ref F [--out HYP] [--beam K]`: BLEU and chrF2 of a model. */
export function registerEvalCommand(program: Command): void {
  const command = program
    .command('eval')
    .description('translate a test set and print BLEU and chrF2 (sacreBLEU-compatible) with signatures')
    .option('-m, --model <dir>', 'checkpoint folder; default: the bundled models/bible-es-en')
    .requiredOption('--src <file>', 'source sentences, one per line (.gz allowed)')
    .requiredOption('--ref <file>', 'reference translations, line-aligned with --src (.gz allowed)')
    .option('-o, --out <file>', 'also write the hypotheses here (via a temp file)')
    .option('--json', 'print one JSON line instead of the two sacreBLEU lines')
    .option(
      '--attention-plots <dir>',
      'also write an attention heatmap (SVG, source × output pieces) for each of the first --sentences sentences',
    )
    .option('--sentences <n>', 'sentences to plot with --attention-plots', integer(1), 10);
  decodingOptions(command).action(async (flags: EvalFlags) => {
    if (flags.out) await checkTextOutput(flags.out, [flags.src, flags.ref]);
    const [sources, references] = await Promise.all([readAll(flags.src), readAll(flags.ref)]);
    const translationModel = await loadModel(flags.model, { backend: flags.backend });
    process.stderr.write(`eval: ${translationModel.backend.reason}; ${sources.length} sentences\n`);
    const output = flags.out ? await openTextOutput(flags.out, [flags.src, flags.ref]) : undefined;
    try {
      const result = await withInterrupt((signal) =>
        evaluateModel(translationModel, sources, references, {
          ...decodingSettingsOf(flags),
          nBest: 1,
          signal,
          onWarning: (w) => process.stderr.write(`eval: ${flags.src}:${w.index + 1}: ${w.message}\n`),
        }),
      );
      if (output) {
        for (const line of result.hypotheses) await output.write(line);
        await output.commit();
      }
      if (flags.attentionPlots) {
        // Decoded again with attention: holding it for a whole test set would cost far more memory.
        const plotted = await withInterrupt((signal) =>
          translateSentences(translationModel, sources.slice(0, flags.sentences), {
            ...decodingSettingsOf(flags),
            nBest: 1,
            returnAttention: true,
            signal,
          }),
        );
        const paths = await writeAttentionPlots(flags.attentionPlots, plotted);
        process.stderr.write(`eval: ${paths.length} attention heatmaps in ${flags.attentionPlots}\n`);
      }
      process.stderr.write(
        `eval: ${result.sentences} sentences in ${result.seconds.toFixed(1)} s (${result.sentencesPerSecond.toFixed(1)} sentences/s)\n`,
      );
      const { hypotheses: _hypotheses, ...figures } = result;
      const lines = flags.json
        ? [JSON.stringify({ model: translationModel.dir, beam: flags.beam, ...figures })]
        : formatScores(result);
      process.stdout.write(`${lines.join('\n')}\n`);
    } catch (error) {
      await output?.abort();
      throw error;
    } finally {
      translationModel.dispose();
    }
  });
}
