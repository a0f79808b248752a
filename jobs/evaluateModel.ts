import { SubflowError } from '../errors.js';
import type { TranslationModel } from '../model/translationModel.js';
import { translateSentences, type TranslateOptions } from '../model/translateSentences.js';
import { corpusBleu } from '../text/bleu.js';
import { corpusChrf } from '../text/chrf.js';

/** Scores of a model on a test set, sacreBLEU-compatible. */
export interface EvaluationResult {
  sentences: number;
  bleu: number;
  bleuSignature: string;
  chrf: number;
  chrfSignature: string;
  /** Wall time of the translation, seconds. */
  seconds: number;
  sentencesPerSecond: number;
  hypotheses: string[];
}

/**
 * Translates `sources` and scores them against `references` with corpus BLEU (13a) and chrF2, both
 * identical to sacreBLEU's defaults.
 * @throws SubflowError CORPUS_MISALIGNED when the line counts differ
 */
export async function evaluateModel(
  translationModel: TranslationModel,
  sources: readonly string[],
  references: readonly string[],
  options: TranslateOptions = {},
): Promise<EvaluationResult> {
  if (sources.length !== references.length) {
    throw new SubflowError(
      'CORPUS_MISALIGNED',
      `the source has ${sources.length} lines but the reference has ${references.length}`,
      { hint: 'source and reference must be line-aligned' },
    );
  }
  const started = performance.now();
  const translations = await translateSentences(translationModel, sources, options);
  const seconds = (performance.now() - started) / 1000;
  const hypotheses = translations.map((t) => t.text);
  const bleu = corpusBleu(hypotheses, references);
  const chrf = corpusChrf(hypotheses, references);
  return {
    sentences: sources.length,
    bleu: bleu.score,
    bleuSignature: bleu.signature,
    chrf: chrf.score,
    chrfSignature: chrf.signature,
    seconds,
    sentencesPerSecond: sources.length / Math.max(seconds, 1e-9),
    hypotheses,
  };
}

/** The two score lines, as sacreBLEU prints them: `BLEU|nrefs:1|…|version:2.4.3 = 23.45`. */
export function formatScores(result: EvaluationResult): string[] {
  return [
    `BLEU|${result.bleuSignature} = ${result.bleu.toFixed(2)}`,
    `chrF2|${result.chrfSignature} = ${result.chrf.toFixed(2)}`,
  ];
}
