import { expect } from 'chai';
import { from, lastValueFrom, toArray } from 'rxjs';
import { cleanPairs, type CleanStats } from '../../operators/cleanPairs.js';
import type { SentencePair } from '../../types.js';

const pair = (src: string, tgt: string, line = 1): SentencePair => ({
  src,
  tgt,
  origin: { file: 'c.tsv', line },
});

describe('cleanPairs', () => {
  it('normalises, drops empty/long/mismatched/duplicate pairs and reports every drop', async () => {
    let stats: CleanStats | undefined;
    const input = [
      pair('  cafe\u0301\u00a0con leche ', 'coffee  with milk', 1),
      pair('', 'empty source', 2),
      pair('uno dos tres cuatro', 'one', 3),
      pair('café con leche', 'coffee with milk', 4),
      pair('a b c d e f', 'a b c d e f', 5),
      pair('hola', 'hello', 6),
    ];
    const kept = await lastValueFrom(
      from(input).pipe(
        cleanPairs({ maxLength: 5, lengthRatio: 2.5, onStats: (s) => (stats = s) }),
        toArray(),
      ),
    );
    expect(kept).to.deep.equal([pair('café con leche', 'coffee with milk', 1), pair('hola', 'hello', 6)]);
    expect(stats).to.deep.equal({ kept: 2, dropped: { empty: 1, tooLong: 1, lengthRatio: 1, duplicate: 1 } });
  });

  it('keeps duplicates when dedupe is off and forgets the oldest pairs past the dedupe window', async () => {
    const input = [pair('a', 'a'), pair('b', 'b'), pair('c', 'c'), pair('a', 'a')];
    const noDedupe = await lastValueFrom(from(input).pipe(cleanPairs({ dedupe: false }), toArray()));
    expect(noDedupe).to.have.length(4);
    const windowed = await lastValueFrom(from(input).pipe(cleanPairs({ dedupeWindow: 2 }), toArray()));
    expect(windowed.map((p) => p.src)).to.deep.equal(['a', 'b', 'c', 'a']);
    const unbounded = await lastValueFrom(from(input).pipe(cleanPairs({ dedupeWindow: 3 }), toArray()));
    expect(unbounded.map((p) => p.src)).to.deep.equal(['a', 'b', 'c']);
  });
});
