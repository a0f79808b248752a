import { expect } from 'chai';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { bucketBatch, padBatch } from '../../operators/bucketBatch.js';
import { SeededRandom } from '../../random.js';
import { BOS_ID, EOS_ID, PAD_ID, type EncodedPair } from '../../types.js';

function pair(srcLength: number, tgtLength: number, tag = 0): EncodedPair {
  const src = Int32Array.from({ length: srcLength }, (_, i) => (i === srcLength - 1 ? EOS_ID : 10 + tag));
  const tgt = Int32Array.from({ length: tgtLength }, (_, i) => (i === tgtLength - 1 ? EOS_ID : 20 + tag));
  return { src, tgt, origin: { file: 'mem', line: tag } };
}

function randomPairs(count: number, seed: number): EncodedPair[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, (_, i) => pair(2 + random.int(40), 2 + random.int(40), i));
}

describe('bucketBatch', () => {
  it('pads rows into tgtIn = BOS+y and tgtOut = y+EOS', () => {
    const batch = padBatch([
      { src: Int32Array.of(5, 6, EOS_ID), tgt: Int32Array.of(7, EOS_ID), origin: { file: 'x', line: 1 } },
      { src: Int32Array.of(5, EOS_ID), tgt: Int32Array.of(8, 9, EOS_ID), origin: { file: 'x', line: 2 } },
    ]);
    expect(batch.size).to.equal(2);
    expect([batch.srcMax, batch.tgtMax]).to.deep.equal([3, 3]);
    expect([...batch.src]).to.deep.equal([5, 6, EOS_ID, 5, EOS_ID, PAD_ID]);
    expect([...batch.srcLen]).to.deep.equal([3, 2]);
    expect([...batch.tgtIn]).to.deep.equal([BOS_ID, 7, PAD_ID, BOS_ID, 8, 9]);
    expect([...batch.tgtOut]).to.deep.equal([7, EOS_ID, PAD_ID, 8, 9, EOS_ID]);
    expect(batch.targetTokens).to.equal(5);
  });

  it('keeps every pair exactly once, within the token budget, and is reproducible per seed', async () => {
    const pairs = randomPairs(1000, 7);
    const run = (seed: number) =>
      lastValueFrom(from(pairs).pipe(bucketBatch({ maxTokens: 300, poolSize: 256, seed }), toArray()));
    const batches = await run(3);
    const lines = batches.flatMap((b) => Array.from({ length: b.size }, (_, r) => b.tgtOut[r * b.tgtMax]));
    expect(batches.reduce((n, b) => n + b.size, 0)).to.equal(1000);
    expect(lines.length).to.equal(1000);
    for (const b of batches) expect(b.size * Math.max(b.srcMax, b.tgtMax)).to.be.at.most(300);
    const totalTokens = pairs.reduce((n, p) => n + p.tgt.length, 0);
    expect(batches.reduce((n, b) => n + b.targetTokens, 0)).to.equal(totalTokens);
    const again = await run(3);
    const other = await run(4);
    const shape = (bs: typeof batches) => bs.map((b) => `${b.size}x${b.tgtMax}`).join();
    expect(shape(again)).to.equal(shape(batches));
    expect(shape(other)).to.not.equal(shape(batches));
  });

  it('sorts by length inside a pool so padding stays small', async () => {
    const pairs = randomPairs(2000, 11);
    const batches = await lastValueFrom(
      from(pairs).pipe(bucketBatch({ maxTokens: 2000, poolSize: 2000 }), toArray()),
    );
    const padded = batches.reduce((n, b) => n + b.size * b.tgtMax, 0);
    const real = batches.reduce((n, b) => n + b.targetTokens, 0);
    expect(real / padded).to.be.greaterThan(0.9);
  });

  it('emits a pool as soon as it is full and flushes the rest on complete', () => {
    const scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
    scheduler.run(({ cold, expectObservable }) => {
      const a = pair(3, 3, 1);
      const input = cold('a-b-c-d-e|', { a, b: a, c: a, d: a, e: a });
      const sizes = input.pipe(bucketBatch({ maxTokens: 1000, poolSize: 2, shuffle: false }));
      expectObservable(sizes).toBe('--x---y--(z|)', {
        x: padBatch([a, a]),
        y: padBatch([a, a]),
        z: padBatch([a]),
      });
    });
  });
});
