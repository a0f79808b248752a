import type { WordAttention } from '../text/wordAlignment.js';

/**
 * Attention-guided splitting of a translated sentence back over the cues it was merged from: the
 * translation is cut where the model's attention says the source cue boundary went, at word
 * boundaries, keeping each cue within its line limits and reading speed where any cut can.
 */

/** How a merged sentence's translation is split back over its cues. */
export const SPLIT_METHODS = ['proportional', 'attention'] as const;
export type SplitMethod = (typeof SPLIT_METHODS)[number];

/** The split `subflow translate` uses unless told otherwise: attention measured better (bench/split.ts). */
export const DEFAULT_SPLIT: SplitMethod = 'attention';

/** Reading speed a cue should stay under, in visible characters per second. Default 20 (adult English). */
export const DEFAULT_MAX_CHARS_PER_SECOND = 20;

/**
 * Attention this spread out says nothing about where a cue boundary went: the mean normalised
 * entropy of the target words' rows (1 = uniform over the source words).
 */
const FLAT_ENTROPY = 0.9;

/**
 * Cost of one character over a cue's line capacity, and over its reading speed, against at most 1 for
 * a word put in the cue it does not attend to: lines are a layout limit that reflow can only break
 * with a third line, so they outweigh attention; reading speed is a comfort limit, and moving words
 * away from the speech they translate costs more than reading a little fast, so a few characters over
 * it do not move a word.
 */
const LINE_EXCESS_COST = 1;
const READING_EXCESS_COST = 0.1;

/**
 * What a cut saves when the target word before it ends in the same kind of punctuation (clause or
 * sentence) as the source cue before the boundary: a translation usually keeps a clause break where
 * the source had one, and a model's attention for a word that opens the next clause (an inserted
 * "and") often still rests on the word before the break. Half a word of attention, so it settles
 * close calls and never outweighs a word that clearly attends to the other cue.
 */
const PUNCTUATION_AGREEMENT = 0.5;

/** Closing quotes and brackets that may follow a word's final punctuation mark. */
const CLOSERS = /["'”’»)\]}]+$/u;

/** The kind of punctuation a word ends in: `clause` (, ; : and dashes), `sentence` (. ? ! …), or none. */
export function endPunctuation(word: string): 'clause' | 'sentence' | undefined {
  const last = word.replace(CLOSERS, '').slice(-1);
  if (/[,;:،、—–]/u.test(last)) return 'clause';
  if (/[.?!…。？！]/u.test(last)) return 'sentence';
  return undefined;
}

/** A translation with the word attention behind it, as `assemble` takes it for attention splitting. */
export interface AlignedTranslation {
  text: string;
  /** Word attention between the unit's text and `text` (see text/wordAlignment.ts); absent: split by length. */
  words?: WordAttention;
}

/** Limits a split cue should keep. */
export interface SplitLimits {
  /** Visible characters per line. Default 42. */
  maxLineLength?: number;
  /** Lines per cue. Default 2. */
  maxLines?: number;
  /** Visible characters per second of the cue's duration. Default {@link DEFAULT_MAX_CHARS_PER_SECOND}. */
  maxCharsPerSecond?: number;
}

/** What the split needs to know of the merged cues. */
export interface SplitSource {
  /** Whitespace-separated words of each cue's text, in order. */
  wordCounts: readonly number[];
  /** Each cue's duration in ms; without it reading speed is not checked. */
  durationsMs?: readonly number[];
}

/**
 * Splits `translation` over the cues of `source` by attention: every target word goes to the cue
 * whose source words it attends to most, as a monotone cut (each cue a run of consecutive words, at
 * least one each), chosen by dynamic programming to keep the most attention inside its cue; a cut
 * that would push a cue over `maxLines × maxLineLength` characters or over its reading speed pays
 * for each character too many, so the limits win wherever some cut keeps them. A cut after a target
 * word that ends in the kind of punctuation the source cue ends in saves half a word, so a close call
 * goes to the clause break. Ties go to the cut nearest the proportional one.
 *
 * Returns undefined, meaning "split by length instead", when there is no attention, when it does not
 * match the texts (word counts differ), when there are fewer words than cues, or when it is flat.
 */
export function splitByAttention(
  source: SplitSource,
  translation: AlignedTranslation,
  limits: SplitLimits = {},
): string[] | undefined {
  const { words: attention } = translation;
  const parts = source.wordCounts.length;
  const words = translation.text.trim().split(/\s+/).filter(Boolean);
  if (!attention || parts < 2 || words.length < parts) return undefined;
  const sourceWords = source.wordCounts.reduce((sum, n) => sum + n, 0);
  if (attention.sourceWords.length !== sourceWords || attention.targetWords.length !== words.length)
    return undefined;
  if (isFlat(attention.weights)) return undefined;

  // inCue[t][k]: the share of target word t's attention on the words of cue k.
  const cueOfWord = source.wordCounts.flatMap((count, k) => new Array<number>(count).fill(k));
  const inCue = attention.weights.map((row) => {
    const shares = new Array<number>(parts).fill(0);
    row.forEach((weight, s) => (shares[cueOfWord[s]] += weight));
    return shares;
  });
  const costBefore = (k: number): number[] => {
    const prefix = [0];
    for (let t = 0; t < words.length; t++) prefix.push(prefix[t] + 1 - inCue[t][k]);
    return prefix;
  };
  const cost = Array.from({ length: parts }, (_, k) => costBefore(k));
  const charsBefore = [0];
  for (const word of words) charsBefore.push(charsBefore[charsBefore.length - 1] + word.length + 1);
  const totalChars = charsBefore[words.length];
  const sourceTotal = sourceWords || parts;
  const maxCueChars = (limits.maxLineLength ?? 42) * (limits.maxLines ?? 2);
  const maxCps = limits.maxCharsPerSecond ?? DEFAULT_MAX_CHARS_PER_SECOND;

  // What cue k pays for holding words [from, to): characters beyond its lines and its reading speed.
  const excess = (k: number, from: number, to: number): number => {
    const chars = charsBefore[to] - charsBefore[from] - 1;
    let over = LINE_EXCESS_COST * Math.max(0, chars - maxCueChars);
    const durationMs = source.durationsMs?.[k];
    if (durationMs !== undefined && durationMs > 0)
      over += READING_EXCESS_COST * Math.max(0, chars - Math.floor((maxCps * durationMs) / 1000));
    return over;
  };
  // Cue k's last source word, whose punctuation a cut after it should agree with.
  const sourceEnd = source.wordCounts.map((_, k) =>
    endPunctuation(attention.sourceWords[source.wordCounts.slice(0, k + 1).reduce((s, n) => s + n, 0) - 1]),
  );
  // Ending cue k before word `at`: the punctuation agreement it earns, and a tie-break far below one
  // word's attention toward the proportional cut.
  const boundary = (k: number, at: number): number => {
    const agrees = sourceEnd[k] !== undefined && endPunctuation(words[at - 1]) === sourceEnd[k];
    const proportional =
      (totalChars * source.wordCounts.slice(0, k + 1).reduce((s, n) => s + n, 0)) / sourceTotal;
    const tieBreak = (1e-3 * Math.abs(charsBefore[at] - proportional)) / Math.max(totalChars, 1);
    return tieBreak - (agrees ? PUNCTUATION_AGREEMENT : 0);
  };

  // best[k][b]: least cost of words [0, b) in cues [0, k]; from[k][b]: where cue k starts then.
  const best = Array.from({ length: parts }, () => new Array<number>(words.length + 1).fill(Infinity));
  const from = Array.from({ length: parts }, () => new Array<number>(words.length + 1).fill(0));
  for (let b = 1; b <= words.length - (parts - 1); b++) {
    best[0][b] = cost[0][b] + excess(0, 0, b) + boundary(0, b);
  }
  for (let k = 1; k < parts; k++) {
    const lastCue = k === parts - 1;
    for (let b = k + 1; b <= words.length - (parts - 1 - k); b++) {
      if (lastCue && b !== words.length) continue;
      for (let a = k; a < b; a++) {
        if (best[k - 1][a] === Infinity) continue;
        const total =
          best[k - 1][a] + cost[k][b] - cost[k][a] + excess(k, a, b) + (lastCue ? 0 : boundary(k, b));
        if (total < best[k][b]) {
          best[k][b] = total;
          from[k][b] = a;
        }
      }
    }
  }
  const bounds = [words.length];
  for (let k = parts - 1; k > 0; k--) bounds.unshift(from[k][bounds[0]]);
  bounds.unshift(0);
  return bounds.slice(0, -1).map((start, k) => words.slice(start, bounds[k + 1]).join(' '));
}

/** True when the rows' mean entropy is near that of uniform attention over the source words. */
export function isFlat(weights: readonly (readonly number[])[]): boolean {
  const width = weights[0]?.length ?? 0;
  if (width < 2) return true;
  let entropy = 0;
  for (const row of weights) {
    for (const weight of row) if (weight > 0) entropy -= weight * Math.log(weight);
  }
  return entropy / weights.length / Math.log(width) > FLAT_ENTROPY;
}
