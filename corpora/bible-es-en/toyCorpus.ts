import type { VersePair } from './alignVerses.js';
import type { Splits } from './splitVerses.js';

/** Size of the toy corpus, and the longest verse (in characters, either side) it takes. */
export interface ToyOptions {
  trainSize?: number;
  devSize?: number;
  maxChars?: number;
}

/**
 * A tiny corpus for fast tests and smoke configs: `trainSize` train verses and `devSize` dev verses whose
 * both sides are at most `maxChars` characters, spread evenly over the Bible (canonical order) so every
 * part of it is represented. Taken from the Bible splits, so toy dev never overlaps toy train.
 */
export function selectToyPairs(
  splits: Splits<VersePair>,
  { trainSize = 200, devSize = 20, maxChars = 60 }: ToyOptions = {},
): { train: VersePair[]; dev: VersePair[] } {
  const short = (pair: VersePair): boolean => pair.es.length <= maxChars && pair.en.length <= maxChars;
  return {
    train: spreadEvenly(splits.train.filter(short), trainSize),
    dev: spreadEvenly(splits.dev.filter(short), devSize),
  };
}

function spreadEvenly<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}
