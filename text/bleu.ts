import { SubflowError } from '../errors.js';
import {
  increment,
  referencesPerSegment,
  rstrip,
  SACREBLEU_VERSION,
  splitWords,
} from './metricsInternals.js';
import { tokenize13a } from './tokenizer13a.js';

/**
 * How zero n-gram matches are smoothed (Chen & Cherry 2014): `exp` is NIST/mteval's method 3 and
 * sacreBLEU's default; `floor` (method 1) and `add-k` (method 2) take `smoothValue`.
 */
export type BleuSmoothing = 'exp' | 'floor' | 'add-k' | 'none';

/** Options of {@link corpusBleu}; every default is sacreBLEU's. */
export interface BleuOptions {
  /** Lowercase hypotheses and references first. Default false (case-sensitive). */
  lowercase?: boolean;
  /** `13a` (mteval-v13a, the WMT standard) or `none` (split on whitespace only). Default `13a`. */
  tokenize?: '13a' | 'none';
  /** Default `exp`. */
  smoothMethod?: BleuSmoothing;
  /** For `floor` (default 0.1) and `add-k` (default 1). */
  smoothValue?: number;
  /** Highest n-gram order. Default 4. */
  maxNgramOrder?: number;
  /** Average only over the orders the hypothesis has n-grams of (for sentence BLEU). Default false. */
  effectiveOrder?: boolean;
}

/** A BLEU score with its sufficient statistics, as sacreBLEU's `BLEUScore` reports them. */
export interface BleuScore {
  /** BLEU in [0, 100]. */
  score: number;
  /** Matched (clipped) n-grams per order, [maxNgramOrder]. */
  counts: number[];
  /** Hypothesis n-grams per order, [maxNgramOrder]. */
  totals: number[];
  /** Smoothed n-gram precisions in percent, [maxNgramOrder]. */
  precisions: number[];
  /** Brevity penalty in [0, 1]. */
  bp: number;
  /** Hypothesis tokens in the corpus. */
  sysLen: number;
  /** Closest-reference tokens in the corpus. */
  refLen: number;
  /** sacreBLEU signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.4.3`. */
  signature: string;
}

const SMOOTH_DEFAULTS: Record<BleuSmoothing, number | undefined> = {
  none: undefined,
  floor: 0.1,
  'add-k': 1,
  exp: undefined,
};

/** sacreBLEU's `my_log`: log that maps 0 to a huge negative number instead of -Infinity. */
function logOrFloor(value: number): number {
  return value === 0 ? -9999999999 : Math.log(value);
}

/** The reference side of one segment: n-gram counts per order (max over references) and lengths. */
interface ReferenceNgrams {
  ngrams: Map<string, number>[];
  lengths: number[];
}

/**
 * N-gram counts of orders 1..maxOrder, one Map per order ([maxOrder]), keyed by the tokens joined
 * with a space (13a tokens never contain one).
 */
function countNgrams(tokens: readonly string[], maxOrder: number): Map<string, number>[] {
  const perOrder: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const counts = new Map<string, number>();
    for (let i = 0; i + n <= tokens.length; i++) increment(counts, tokens.slice(i, i + n).join(' '));
    perOrder.push(counts);
  }
  return perOrder;
}

/** The reference length closest to the hypothesis length; ties go to the shorter reference. */
function closestReferenceLength(hypothesisLength: number, referenceLengths: readonly number[]): number {
  let bestDiff = -1;
  let best = -1;
  for (const length of referenceLengths) {
    const diff = Math.abs(hypothesisLength - length);
    if (bestDiff === -1 || diff < bestDiff || (diff === bestDiff && length < best)) {
      bestDiff = diff;
      best = length;
    }
  }
  return best;
}

/**
 * BLEU from its sufficient statistics, exactly as sacreBLEU's `BLEU.compute_bleu`. `counts` and
 * `totals` are not modified (sacreBLEU's add-k adds k to its own copies in place).
 */
export function bleuFromStatistics(
  counts: readonly number[],
  totals: readonly number[],
  sysLen: number,
  refLen: number,
  options: Pick<BleuOptions, 'smoothMethod' | 'smoothValue' | 'effectiveOrder' | 'maxNgramOrder'> = {},
): Omit<BleuScore, 'signature'> {
  const smoothMethod = options.smoothMethod ?? 'exp';
  const smoothValue = options.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod] ?? 0;
  const maxOrder = options.maxNgramOrder ?? 4;
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = { counts: [...counts], totals: [...totals], precisions, bp, sysLen, refLen };
  // No match at all: 0, without smoothing inventing a score (sacreBLEU #141).
  if (!counts.some((count) => count > 0)) return { score: 0, ...result };

  let smoothMteval = 1;
  let effectiveOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    let correct = counts[n - 1];
    let total = totals[n - 1];
    if (smoothMethod === 'add-k' && n > 1) {
      correct += smoothValue;
      total += smoothValue;
    }
    if (total === 0) break;
    if (options.effectiveOrder) effectiveOrder = n;
    if (correct === 0) {
      if (smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total);
      } else if (smoothMethod === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / total;
      }
    } else {
      precisions[n - 1] = (100 * correct) / total;
    }
  }
  let logSum = 0;
  for (const precision of precisions.slice(0, effectiveOrder)) logSum += logOrFloor(precision);
  return { score: bp * Math.exp(logSum / effectiveOrder), ...result };
}

/**
 * Corpus BLEU, identical to sacreBLEU's default `sacrebleu.corpus_bleu(hypotheses, [references])`:
 * 13a tokenisation, case-sensitive, exp smoothing, n-grams up to 4, brevity penalty over the corpus.
 * `references` is one line per hypothesis, or several such streams for multi-reference BLEU.
 *
 * @example corpusBleu(['The cat sat.'], ['The cat sat.']).score // → 100
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly string[] | readonly (readonly string[])[],
  options: BleuOptions = {},
): BleuScore {
  const maxOrder = options.maxNgramOrder ?? 4;
  if (!Number.isInteger(maxOrder) || maxOrder < 1) {
    throw new SubflowError('BAD_ARGUMENT', `BLEU: maxNgramOrder must be a positive integer, got ${maxOrder}`);
  }
  const tokenize = options.tokenize === 'none' ? splitWords : tokenize13a;
  const prepare = (line: string): string[] => tokenize(rstrip(options.lowercase ? line.toLowerCase() : line));
  const { perSegment, nrefs } = referencesPerSegment('BLEU', hypotheses, references);

  const counts = new Array<number>(maxOrder).fill(0);
  const totals = new Array<number>(maxOrder).fill(0);
  let sysLen = 0;
  let refLen = 0;
  hypotheses.forEach((hypothesis, line) => {
    const reference = referenceNgrams(perSegment[line].map(prepare), maxOrder);
    const tokens = prepare(hypothesis);
    sysLen += tokens.length;
    refLen += closestReferenceLength(tokens.length, reference.lengths);
    countNgrams(tokens, maxOrder).forEach((hypothesisNgrams, order) => {
      for (const [ngram, count] of hypothesisNgrams) {
        totals[order] += count;
        counts[order] += Math.min(count, reference.ngrams[order].get(ngram) ?? 0);
      }
    });
  });
  const result = bleuFromStatistics(counts, totals, sysLen, refLen, { ...options, maxNgramOrder: maxOrder });
  return { ...result, signature: bleuSignature(nrefs, options) };
}

/**
 * Sentence-level BLEU as sacreBLEU's `sentence_bleu`: {@link corpusBleu} over one segment with
 * `effectiveOrder` on (so a short sentence is not zeroed by its missing 4-grams).
 */
export function sentenceBleu(
  hypothesis: string,
  references: readonly string[],
  options: BleuOptions = {},
): BleuScore {
  return corpusBleu(
    [hypothesis],
    references.map((reference) => [reference]),
    { effectiveOrder: true, ...options },
  );
}

function referenceNgrams(references: readonly string[][], maxOrder: number): ReferenceNgrams {
  const ngrams = Array.from({ length: maxOrder }, () => new Map<string, number>());
  for (const tokens of references) {
    countNgrams(tokens, maxOrder).forEach((referenceNgrams, order) => {
      for (const [ngram, count] of referenceNgrams) {
        ngrams[order].set(ngram, Math.max(ngrams[order].get(ngram) ?? 0, count));
      }
    });
  }
  return { ngrams, lengths: references.map((tokens) => tokens.length) };
}

function bleuSignature(nrefs: number | 'var', options: BleuOptions): string {
  const smoothMethod = options.smoothMethod ?? 'exp';
  const defaultValue = SMOOTH_DEFAULTS[smoothMethod];
  const smooth =
    defaultValue === undefined
      ? smoothMethod
      : `${smoothMethod}[${(options.smoothValue ?? defaultValue).toFixed(2)}]`;
  return [
    `nrefs:${nrefs}`,
    `case:${options.lowercase ? 'lc' : 'mixed'}`,
    `eff:${options.effectiveOrder ? 'yes' : 'no'}`,
    `tok:${options.tokenize ?? '13a'}`,
    `smooth:${smooth}`,
    `version:${SACREBLEU_VERSION}`,
  ].join('|');
}
