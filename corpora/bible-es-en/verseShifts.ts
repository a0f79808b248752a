/**
 * Finds chapters whose verse numbers disagree between the two translations.
 *
 * The Spanish module is squeezed into the English (KJV) versification, but in some chapters its verses
 * follow the Hebrew numbering: Jonah 2:1 in Spanish is Jonah 1:17 in English, so pairing by reference
 * pairs every verse of the chapter with its neighbour. Verse lengths in characters give the shift away:
 * a Spanish verse and its English translation have nearly proportional lengths, and Bible verses vary
 * in length enough that a wrong pairing shows.
 *
 * For each chapter this runs a Viterbi search over "Spanish verse v+s pairs with English verse v" for
 * shifts s in [-maxShift, maxShift], with a cost per pairing (squared z-score of the log length ratio)
 * and a penalty per change of shift. Changes are allowed because a shift often starts mid-chapter,
 * where the Spanish merges or splits a verse (2 Chronicles 33:10–11); whole-chapter length correlation
 * misses those partial shifts, and short poetic chapters (Jonah 2) too. A chapter is reported when its
 * cheapest path is clearly cheaper (`minGain`) than pairing every verse with its own number.
 */

/** Lengths in characters of one chapter's verses, indexed by verse number (0 unused); 0 = no text. */
export interface ChapterLengths {
  chapter: string;
  source: readonly number[];
  target: readonly number[];
}

/** A chapter whose best alignment is not verse-for-verse, with where the shift begins. */
export interface ShiftedChapter {
  chapter: string;
  /** Shift on the cheapest path that covers the most verses: source verse v+shift ↔ target verse v. */
  shift: number;
  /** First target verse aligned with a non-zero shift. */
  fromVerse: number;
  /** Number of target verses aligned with a non-zero shift. */
  shiftedVerses: number;
  /** Cost of the cheapest path and of pairing every verse with its own number. */
  cost: number;
  unshiftedCost: number;
}

/** Tuning of the detector; the defaults separate the known shifted chapters from the rest. */
export interface ShiftOptions {
  /** Largest shift tried, in verses. Default 5. */
  maxShift?: number;
  /** Cost of changing the shift between two verses, in squared z units. Default 12. */
  switchPenalty?: number;
  /** Cost of a pairing where either side has no text. Default 9. */
  missingCost?: number;
  /** Cap on one pairing's cost, so one odd verse cannot force a shift. Default 16. */
  maxPairCost?: number;
  /**
   * How much cheaper than verse-for-verse the shifted path must be to report the chapter. Default 30:
   * the known shifted chapters gain 44–213, while chapters where only a verse boundary or two differ,
   * or where a translation is merely freer, gain under 20.
   */
  minGain?: number;
}

/** Mean and standard deviation of log(source/target length) over the pairs, robustly (median, MAD). */
export function lengthRatioStats(chapters: readonly ChapterLengths[]): { mean: number; sd: number } {
  const logs: number[] = [];
  for (const { source, target } of chapters) {
    for (let v = 1; v < Math.min(source.length, target.length); v++) {
      if (source[v] > 0 && target[v] > 0) logs.push(Math.log(source[v] / target[v]));
    }
  }
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };
  const mean = median(logs);
  const sd = 1.4826 * median(logs.map((x) => Math.abs(x - mean)));
  return { mean, sd };
}

/** The cheapest shift path through one chapter. */
export interface ChapterAlignment {
  chapter: string;
  /** `path[v]`: the shift s pairing source verse v+s with target verse v (index 0 unused). */
  path: number[];
  /** Cost of that path, and of pairing every verse with its own number. */
  cost: number;
  unshiftedCost: number;
}

/**
 * Aligns every chapter (see the file comment) and returns the alignments with the length statistics
 * they were scored against, so callers can also judge single verses.
 */
export function alignChapters(
  chapters: readonly ChapterLengths[],
  options: ShiftOptions = {},
): { stats: { mean: number; sd: number }; alignments: ChapterAlignment[] } {
  const stats = lengthRatioStats(chapters);
  return { stats, alignments: chapters.map((chapter) => alignChapter(chapter, stats, options)) };
}

/** The alignment as a dropped-chapter record, when its shifted path beats verse-for-verse by `minGain`. */
export function shiftedChapter(
  alignment: ChapterAlignment,
  { minGain = 30 }: ShiftOptions = {},
): ShiftedChapter | undefined {
  const { chapter, path, cost, unshiftedCost } = alignment;
  const shiftedVerses = path.filter((s) => s !== 0).length;
  if (shiftedVerses === 0 || unshiftedCost - cost < minGain) return undefined;
  const counts = new Map<number, number>();
  for (const s of path) if (s !== 0) counts.set(s, (counts.get(s) ?? 0) + 1);
  const [shift] = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
  return {
    chapter,
    shift,
    fromVerse: path.findIndex((s, v) => v > 0 && s !== 0),
    shiftedVerses,
    cost,
    unshiftedCost,
  };
}

/** Every chapter whose shifted alignment clearly beats pairing by reference, in input order. */
export function findShiftedChapters(
  chapters: readonly ChapterLengths[],
  options: ShiftOptions = {},
): ShiftedChapter[] {
  return alignChapters(chapters, options).alignments.flatMap((a) => shiftedChapter(a, options) ?? []);
}

function alignChapter(
  { chapter, source, target }: ChapterLengths,
  stats: { mean: number; sd: number },
  { maxShift = 5, switchPenalty = 12, missingCost = 9, maxPairCost = 16 }: ShiftOptions,
): ChapterAlignment {
  const verses = target.length - 1;
  if (verses < 1) return { chapter, path: [0], cost: 0, unshiftedCost: 0 };
  const shifts = Array.from({ length: 2 * maxShift + 1 }, (_, i) => i - maxShift);
  const pairCost = (v: number, s: number): number => {
    const src = source[v + s] ?? 0;
    const tgt = target[v] ?? 0;
    if (src <= 0 || tgt <= 0) return missingCost;
    const z = (Math.log(src / tgt) - stats.mean) / stats.sd;
    return Math.min(z * z, maxPairCost);
  };
  const moveCost = (from: number, to: number): number => (from === to ? 0 : switchPenalty);
  // cost[i]: cheapest path over verses 1..v ending in shift i; back[v][i]: the shift index before it.
  let cost = shifts.map((s) => pairCost(1, s));
  const back: number[][] = [];
  for (let v = 2; v <= verses; v++) {
    const from = shifts.map((_, i) => {
      let best = i;
      cost.forEach((c, j) => {
        if (c + moveCost(j, i) < cost[best] + moveCost(best, i)) best = j;
      });
      return best;
    });
    cost = shifts.map((s, i) => cost[from[i]] + moveCost(from[i], i) + pairCost(v, s));
    back[v] = from;
  }
  let last = 0;
  cost.forEach((c, i) => {
    if (c < cost[last]) last = i;
  });
  const path = new Array<number>(verses + 1).fill(0);
  for (let v = verses, i = last; v >= 1; v--) {
    path[v] = shifts[i];
    if (v > 1) i = back[v][i];
  }
  let unshiftedCost = 0;
  for (let v = 1; v <= verses; v++) unshiftedCost += pairCost(v, 0);
  return { chapter, path, cost: cost[last], unshiftedCost };
}
