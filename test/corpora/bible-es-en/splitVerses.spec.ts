import { expect } from 'chai';
import { splitByKeyHash } from '../../../corpora/bible-es-en/splitVerses.js';

describe('corpora/bible-es-en splitByKeyHash', () => {
  const keys = Array.from({ length: 500 }, (_, i) => `Book ${Math.floor(i / 20) + 1}:${(i % 20) + 1}`);

  it('gives exact sizes, covers every item once and keeps input order', () => {
    const { train, dev, test } = splitByKeyHash(keys, (k) => k, { devSize: 50, testSize: 40 });
    expect([train.length, dev.length, test.length]).to.deep.equal([410, 50, 40]);
    expect(new Set([...train, ...dev, ...test]).size).to.equal(500);
    for (const part of [train, dev, test]) {
      expect(part).to.deep.equal([...part].sort((a, b) => keys.indexOf(a) - keys.indexOf(b)));
    }
  });

  it('depends on keys and seed only', () => {
    const a = splitByKeyHash(keys, (k) => k, { devSize: 50, testSize: 40, seed: 3 });
    const shuffledInput = splitByKeyHash([...keys].reverse(), (k) => k, {
      devSize: 50,
      testSize: 40,
      seed: 3,
    });
    expect(new Set(shuffledInput.dev)).to.deep.equal(new Set(a.dev));
    const other = splitByKeyHash(keys, (k) => k, { devSize: 50, testSize: 40, seed: 4 });
    expect(other.dev).to.not.deep.equal(a.dev);
  });
});
