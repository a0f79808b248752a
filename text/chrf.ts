import { SubflowError } from '../errors.js';
import {
  increment,
  referencesPerSegment,
  removeWhitespace,
  SACREBLEU_VERSION,
  splitWords,
} from './metricsInternals.js';

/** Options of {@link corpusChrf}; every default is sacreBLEU's (chrF2). */
export interface ChrfOptions {
  /** Character n-gram order. Default 6. */
  charOrder?: number;
  /** Word n-gram order; 2 gives chrF++. Default 0. */
  wordOrder?: number;
  /** Weight of recall against precision. Default 2. */
  beta?: number;
  /** Lowercase first. Default false. */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams. Default false (whitespace removed). */
  whitespace?: boolean;
  /**
   * chrF++.py / Moses / NLTK epsilon smoothing: average the F-score of every order, an order without
   * n-grams counting as ~0. Default false: sacreBLEU 2.x averages precision and recall over the
   * orders that have n-grams on both sides (its "effective order"), which only matters for very
   * short segments.
   */
  epsSmoothing?: boolean;
}

/** A chrF score and how it was computed. */
export interface ChrfScore {
  /** chrF in [0, 100]. */
  score: number;
  /** `chrF2`, or `chrF2++` with word order 2, as sacreBLEU names it. */
  name: string;
  /** Per order (characters 1..charOrder, then words 1..wordOrder): [hypothesis, reference, matched] n-grams. */
  statistics: [number, number, number][];
  /** sacreBLEU signature, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.4.3`. */
  signature: string;
}

/** `string.punctuation`, which chrF++ splits off the start or end of words. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

const EPS = 1e-16;

/** Character n-gram counts of orders 1..order ([order]); characters are code points, as in Python. */
function charNgrams(text: string, order: number, keepWhitespace: boolean): Map<string, number>[] {
  const chars = Array.from(keepWhitespace ? text : removeWhitespace(text));
  const perOrder: Map<string, number>[] = [];
  for (let n = 1; n <= order; n++) {
    const counts = new Map<string, number>();
    for (let i = 0; i + n <= chars.length; i++) increment(counts, chars.slice(i, i + n).join(''));
    perOrder.push(counts);
  }
  return perOrder;
}

/** chrF++'s words: whitespace split, then one punctuation mark split off the end, else the start. */
function wordsWithPunctuationSplit(text: string): string[] {
  const words: string[] = [];
  for (const word of splitWords(text)) {
    const chars = Array.from(word);
    if (chars.length === 1) words.push(word);
    else if (PUNCTUATION.has(chars[chars.length - 1]))
      words.push(chars.slice(0, -1).join(''), chars[chars.length - 1]);
    else if (PUNCTUATION.has(chars[0])) words.push(chars[0], chars.slice(1).join(''));
    else words.push(word);
  }
  return words;
}

function wordNgrams(text: string, order: number): Map<string, number>[] {
  const words = wordsWithPunctuationSplit(text);
  const perOrder: Map<string, number>[] = [];
  for (let n = 1; n <= order; n++) {
    const counts = new Map<string, number>();
    for (let i = 0; i + n <= words.length; i++) increment(counts, words.slice(i, i + n).join(' '));
    perOrder.push(counts);
  }
  return perOrder;
}

/**
 * [hypothesis, reference, matched] n-gram totals of one order. As in sacreBLEU, hypothesis n-grams
 * are not counted when the reference has none of that order.
 */
function matchStatistics(
  hypothesis: Map<string, number>,
  reference: Map<string, number>,
): [number, number, number] {
  let hypothesisCount = 0;
  let matched = 0;
  for (const [ngram, count] of hypothesis) {
    hypothesisCount += count;
    matched += Math.min(count, reference.get(ngram) ?? 0);
  }
  let referenceCount = 0;
  for (const count of reference.values()) referenceCount += count;
  return [reference.size > 0 ? hypothesisCount : 0, referenceCount, matched];
}

/** chrF in [0, 100] from per-order statistics, exactly as sacreBLEU's `CHRF._compute_f_score`. */
export function chrfFromStatistics(
  statistics: readonly (readonly [number, number, number])[],
  beta = 2,
  epsSmoothing = false,
): number {
  const factor = beta ** 2;
  let epsScore = 0;
  let precisionSum = 0;
  let recallSum = 0;
  let effectiveOrder = 0;
  for (const [hypothesisCount, referenceCount, matched] of statistics) {
    const precision = hypothesisCount > 0 ? matched / hypothesisCount : EPS;
    const recall = referenceCount > 0 ? matched / referenceCount : EPS;
    const denominator = factor * precision + recall;
    epsScore += denominator > 0 ? ((1 + factor) * precision * recall) / denominator : EPS;
    if (hypothesisCount > 0 && referenceCount > 0) {
      precisionSum += precision;
      recallSum += recall;
      effectiveOrder += 1;
    }
  }
  if (epsSmoothing) return (100 * epsScore) / statistics.length;
  if (effectiveOrder === 0) return 0;
  const precision = precisionSum / effectiveOrder;
  const recall = recallSum / effectiveOrder;
  if (precision + recall === 0) return 0;
  return (100 * ((1 + factor) * precision * recall)) / (factor * precision + recall);
}

/**
 * Corpus chrF, identical to sacreBLEU's default `sacrebleu.corpus_chrf(hypotheses, [references])`:
 * character 6-grams, no word n-grams, beta 2, whitespace removed, case-sensitive, statistics summed
 * over the corpus before the F-score. With several reference streams each segment uses the
 * reference giving it the best F-score.
 *
 * @example corpusChrf(['Hola, mundo.'], ['Hola, mundo.']).score // → 100
 */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly string[] | readonly (readonly string[])[],
  options: ChrfOptions = {},
): ChrfScore {
  const charOrder = options.charOrder ?? 6;
  const wordOrder = options.wordOrder ?? 0;
  const beta = options.beta ?? 2;
  const epsSmoothing = options.epsSmoothing ?? false;
  for (const [key, value] of Object.entries({ charOrder, wordOrder, beta })) {
    if (!Number.isInteger(value) || value < (key === 'wordOrder' ? 0 : 1)) {
      throw new SubflowError('BAD_ARGUMENT', `chrF: ${key} must be a non-negative integer, got ${value}`, {
        key,
      });
    }
  }
  const prepare = (line: string): string => (options.lowercase ? line.toLowerCase() : line);
  const ngramsOf = (line: string): Map<string, number>[] => [
    ...charNgrams(prepare(line), charOrder, options.whitespace ?? false),
    ...(wordOrder > 0 ? wordNgrams(prepare(line), wordOrder) : []),
  ];
  const { perSegment, nrefs } = referencesPerSegment('chrF', hypotheses, references);

  const totals: [number, number, number][] = Array.from({ length: charOrder + wordOrder }, () => [0, 0, 0]);
  hypotheses.forEach((hypothesis, line) => {
    const hypothesisNgrams = ngramsOf(hypothesis);
    let best: [number, number, number][] = [];
    let bestScore = -1;
    for (const reference of perSegment[line]) {
      const referenceNgrams = ngramsOf(reference);
      const statistics = hypothesisNgrams.map((ngrams, order) =>
        matchStatistics(ngrams, referenceNgrams[order]),
      );
      const score = chrfFromStatistics(statistics, beta, epsSmoothing);
      if (score > bestScore) [best, bestScore] = [statistics, score];
    }
    best.forEach((statistics, order) => statistics.forEach((value, i) => (totals[order][i] += value)));
  });
  return {
    score: chrfFromStatistics(totals, beta, epsSmoothing),
    name: `chrF${beta}${'+'.repeat(wordOrder)}`,
    statistics: totals,
    signature: [
      `nrefs:${nrefs}`,
      `case:${options.lowercase ? 'lc' : 'mixed'}`,
      `eff:${epsSmoothing ? 'no' : 'yes'}`,
      `nc:${charOrder}`,
      `nw:${wordOrder}`,
      `space:${options.whitespace ? 'yes' : 'no'}`,
      `version:${SACREBLEU_VERSION}`,
    ].join('|'),
  };
}

/** chrF of one sentence against its references (sacreBLEU's `sentence_chrf`). */
export function sentenceChrf(
  hypothesis: string,
  references: readonly string[],
  options: ChrfOptions = {},
): ChrfScore {
  return corpusChrf(
    [hypothesis],
    references.map((reference) => [reference]),
    options,
  );
}
