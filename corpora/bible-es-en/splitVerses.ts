import { createHash } from 'node:crypto';

/** The three splits, each a list of items in their original order. */
export interface Splits<T> {
  train: T[];
  dev: T[];
  test: T[];
}

/** Sizes and seed of the split; the defaults are the bundled corpus's. */
export interface SplitOptions {
  devSize?: number;
  testSize?: number;
  /** Mixed into every hash, so another seed gives another, equally deterministic split. Default 1. */
  seed?: number;
}

/**
 * Splits items into train / dev / test by a seeded hash of each item's key: the `devSize` items with
 * the lowest sha256(`seed:key`) go to dev, the next `testSize` to test, the rest to train. The choice
 * depends only on the keys, never on file order or a random state, and each split keeps the input
 * order (canonical Bible order), so a rebuild is bit-identical.
 */
export function splitByKeyHash<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  { devSize = 1000, testSize = 1000, seed = 1 }: SplitOptions = {},
): Splits<T> {
  const ranked = items
    .map((item, index) => ({
      index,
      hash: createHash('sha256')
        .update(`${seed}:${keyOf(item)}`)
        .digest('hex'),
    }))
    .sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : a.index - b.index));
  const splitOf = new Array<keyof Splits<T>>(items.length);
  ranked.forEach(({ index }, rank) => {
    splitOf[index] = rank < devSize ? 'dev' : rank < devSize + testSize ? 'test' : 'train';
  });
  const splits: Splits<T> = { train: [], dev: [], test: [] };
  items.forEach((item, index) => splits[splitOf[index]].push(item));
  return splits;
}
