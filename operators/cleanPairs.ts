import { createHash } from 'node:crypto';
import { Observable, type OperatorFunction } from 'rxjs';
import { SubflowError } from '../errors.js';
import { normalizeText } from '../text/normalize.js';
import type { SentencePair } from '../types.js';

/** Defaults of {@link CleanOptions}; the clean stage's schema reads them from here. */
export const CLEAN_DEFAULTS = Object.freeze({
  maxLength: 100,
  lengthRatio: 2.5,
  dedupe: true,
  dedupeWindow: 2_000_000,
});

/** Filters of {@link cleanPairs}; defaults in {@link CLEAN_DEFAULTS}. */
export interface CleanOptions {
  /** Drop pairs where either side has more than this many whitespace-separated words; 0 = no limit. */
  maxLength?: number;
  /** Drop pairs whose longer side has more than this many times the words of the shorter; 0 = off. */
  lengthRatio?: number;
  /** Drop exact duplicate pairs (after normalisation). */
  dedupe?: boolean;
  /**
   * How many distinct pairs dedupe remembers (8 bytes each); older ones are forgotten first, which bounds
   * memory on huge corpora at the price of missing duplicates further apart.
   */
  dedupeWindow?: number;
  /** Called once when the stream completes, with what was kept and dropped (never silent data loss). */
  onStats?: (stats: CleanStats) => void;
}

export interface CleanStats {
  kept: number;
  dropped: { empty: number; tooLong: number; lengthRatio: number; duplicate: number };
}

/**
 * Normalises pairs (Unicode NFC, one space between words, no control characters) and drops empty,
 * over-long, badly length-matched and duplicate pairs. Dropping every pair of a non-empty input is an
 * error (`CORPUS_EMPTY`) that says which filters removed them, rather than an empty stream that fails
 * later somewhere less clear.
 *
 * @example
 * readParallel({ tsv: 'all.tsv' }).pipe(cleanPairs({ maxLength: 100, lengthRatio: 2.5, dedupe: true }))
 */
export function cleanPairs(options: CleanOptions = {}): OperatorFunction<SentencePair, SentencePair> {
  const maxLength = options.maxLength ?? CLEAN_DEFAULTS.maxLength;
  const lengthRatio = options.lengthRatio ?? CLEAN_DEFAULTS.lengthRatio;
  const dedupe = options.dedupe ?? CLEAN_DEFAULTS.dedupe;
  const window = options.dedupeWindow ?? CLEAN_DEFAULTS.dedupeWindow;
  return (source) =>
    new Observable<SentencePair>((subscriber) => {
      const stats: CleanStats = { kept: 0, dropped: { empty: 0, tooLong: 0, lengthRatio: 0, duplicate: 0 } };
      // A Set iterates in insertion order, so deleting its first entry forgets the oldest pair.
      let seen = new Set<bigint>();
      let firstFile: string | undefined;
      const subscription = source.subscribe({
        next(pair) {
          firstFile ??= pair.origin.file;
          const src = normalizeText(pair.src);
          const tgt = normalizeText(pair.tgt);
          if (src === '' || tgt === '') return void stats.dropped.empty++;
          const srcWords = countWords(src);
          const tgtWords = countWords(tgt);
          if (maxLength > 0 && (srcWords > maxLength || tgtWords > maxLength))
            return void stats.dropped.tooLong++;
          if (lengthRatio > 0 && Math.max(srcWords, tgtWords) > lengthRatio * Math.min(srcWords, tgtWords)) {
            return void stats.dropped.lengthRatio++;
          }
          if (dedupe) {
            const key = pairHash(src, tgt);
            if (seen.has(key)) return void stats.dropped.duplicate++;
            seen.add(key);
            if (seen.size > window) seen.delete(seen.values().next().value as bigint);
          }
          stats.kept++;
          subscriber.next({ src, tgt, origin: pair.origin });
        },
        error: (error) => subscriber.error(error),
        complete() {
          options.onStats?.(stats);
          if (stats.kept === 0 && firstFile !== undefined) {
            subscriber.error(nothingKept(stats, firstFile, { maxLength, lengthRatio }));
          } else subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        seen = new Set();
      };
    });
}

/** `clean kept 0 of N pairs of FILE: …` with each filter's count, largest first, and what to change. */
function nothingKept(
  stats: CleanStats,
  file: string,
  limits: { maxLength: number; lengthRatio: number },
): SubflowError {
  const total = Object.values(stats.dropped).reduce((sum, n) => sum + n, 0);
  const reasons: Record<keyof CleanStats['dropped'], { says: string; hint: string }> = {
    tooLong: {
      says: `longer than maxLength ${limits.maxLength} words`,
      hint: 'raise maxLength (0 turns the limit off), or check that the corpus holds one sentence per line',
    },
    lengthRatio: {
      says: `with a word-count ratio above lengthRatio ${limits.lengthRatio}`,
      hint: 'raise lengthRatio (0 turns the check off), or check that source and target lines are aligned',
    },
    empty: {
      says: 'empty on one side',
      hint: 'check that both sides have text on the same lines (a TSV line is "source<TAB>target")',
    },
    duplicate: { says: 'duplicates', hint: 'set dedupe: false to keep duplicate pairs' },
  };
  const dropped = (Object.keys(reasons) as (keyof CleanStats['dropped'])[])
    .filter((why) => stats.dropped[why] > 0)
    .sort((a, b) => stats.dropped[b] - stats.dropped[a]);
  return new SubflowError(
    'CORPUS_EMPTY',
    `clean kept 0 of ${total} pair${total === 1 ? '' : 's'} of ${file}: ${dropped
      .map((why) => `${stats.dropped[why]} ${reasons[why].says}`)
      .join(', ')}`,
    { file, hint: reasons[dropped[0]].hint },
  );
}

function countWords(text: string): number {
  let words = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 32) words++;
  return words;
}

/** 64 bits of SHA-1: collisions are negligible below billions of pairs, and a bigint key is small. */
function pairHash(src: string, tgt: string): bigint {
  return createHash('sha1').update(src).update('\t').update(tgt).digest().readBigUInt64LE(0);
}
