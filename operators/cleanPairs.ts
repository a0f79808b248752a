import { createHash } from 'node:crypto';
import { Observable, type OperatorFunction } from 'rxjs';
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
 * over-long, badly length-matched and duplicate pairs.
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
      const subscription = source.subscribe({
        next(pair) {
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
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        seen = new Set();
      };
    });
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
