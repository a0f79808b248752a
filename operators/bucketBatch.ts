import { Observable, type OperatorFunction } from 'rxjs';
import { SeededRandom } from '../random.js';
import { BOS_ID, PAD_ID, type Batch, type EncodedPair } from '../types.js';

/** Defaults of {@link BucketOptions} (`ref-small` trains on batches of about 2000 target tokens). */
export const BUCKET_DEFAULTS = Object.freeze({ maxTokens: 2000, poolSize: 100_000, seed: 1, shuffle: true });

/** Options of {@link bucketBatch}; defaults in {@link BUCKET_DEFAULTS}. */
export interface BucketOptions {
  /** Token budget per batch: rows × padded length of the longer side stays at or under it. */
  maxTokens?: number;
  /** Pairs gathered, sorted by length and cut into batches at a time; bounds memory. */
  poolSize?: number;
  /** Optional cap on rows per batch. Default none. */
  maxBatchSize?: number;
  /** Seed for the order batches leave a pool in; the same seed gives the same batches. */
  seed?: number;
  /** Shuffle batches within a pool (training) or keep them in length order (evaluation). */
  shuffle?: boolean;
}

/**
 * Groups encoded pairs into padded batches of similar length under a token budget, so little compute
 * goes to padding. Works on a bounded pool: memory is O(poolSize) whatever the corpus size.
 *
 * @example
 * from(encodedPairs).pipe(bucketBatch({ maxTokens: 2000, poolSize: 100_000, seed: 1 }))
 */
export function bucketBatch(options: BucketOptions = {}): OperatorFunction<EncodedPair, Batch> {
  const maxTokens = options.maxTokens ?? BUCKET_DEFAULTS.maxTokens;
  const poolSize = options.poolSize ?? BUCKET_DEFAULTS.poolSize;
  const maxBatchSize = options.maxBatchSize ?? Number.POSITIVE_INFINITY;
  const shuffle = options.shuffle ?? BUCKET_DEFAULTS.shuffle;
  return (source) =>
    new Observable<Batch>((subscriber) => {
      const random = new SeededRandom(options.seed ?? BUCKET_DEFAULTS.seed);
      let pool: EncodedPair[] = [];
      const flush = () => {
        const batches = cutIntoBatches(pool, maxTokens, maxBatchSize);
        pool = [];
        if (shuffle) random.shuffle(batches);
        for (const rows of batches) {
          if (subscriber.closed) return;
          subscriber.next(padBatch(rows));
        }
      };
      const subscription = source.subscribe({
        next(pair) {
          pool.push(pair);
          if (pool.length >= poolSize) flush();
        },
        error: (error) => subscriber.error(error),
        complete() {
          // Flush before completing, or the last partial pool is lost.
          flush();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        pool = [];
      };
    });
}

/** Sorts by (target, source) length and cuts greedily so rows × padded length ≤ maxTokens. */
export function cutIntoBatches(
  pairs: EncodedPair[],
  maxTokens: number,
  maxBatchSize: number,
): EncodedPair[][] {
  const sorted = [...pairs].sort((a, b) => a.tgt.length - b.tgt.length || a.src.length - b.src.length);
  const batches: EncodedPair[][] = [];
  let rows: EncodedPair[] = [];
  let longest = 0;
  for (const pair of sorted) {
    const length = Math.max(pair.src.length, pair.tgt.length);
    const widened = Math.max(longest, length);
    if (rows.length > 0 && ((rows.length + 1) * widened > maxTokens || rows.length >= maxBatchSize)) {
      batches.push(rows);
      rows = [];
      longest = 0;
    }
    rows.push(pair);
    longest = Math.max(longest, length);
  }
  if (rows.length) batches.push(rows);
  return batches;
}

/**
 * Builds the padded, row-major `Batch` the model takes: src as given (ends with EOS), tgtIn = BOS+y,
 * tgtOut = y+EOS where the pair's tgt is y+EOS.
 */
export function padBatch(rows: readonly EncodedPair[]): Batch {
  const size = rows.length;
  let srcMax = 0;
  let tgtMax = 0;
  for (const row of rows) {
    srcMax = Math.max(srcMax, row.src.length);
    tgtMax = Math.max(tgtMax, row.tgt.length);
  }
  const src = new Int32Array(size * srcMax).fill(PAD_ID);
  const srcLen = new Int32Array(size);
  const tgtIn = new Int32Array(size * tgtMax).fill(PAD_ID);
  const tgtOut = new Int32Array(size * tgtMax).fill(PAD_ID);
  let targetTokens = 0;
  rows.forEach((row, r) => {
    src.set(row.src, r * srcMax);
    srcLen[r] = row.src.length;
    tgtOut.set(row.tgt, r * tgtMax);
    tgtIn[r * tgtMax] = BOS_ID;
    tgtIn.set(row.tgt.subarray(0, row.tgt.length - 1), r * tgtMax + 1);
    targetTokens += row.tgt.length;
  });
  return { src, srcLen, srcMax, tgtIn, tgtOut, tgtMax, size, targetTokens };
}
