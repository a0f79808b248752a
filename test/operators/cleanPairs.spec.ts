import { expect } from 'chai';
import { from, lastValueFrom, toArray } from 'rxjs';
import { cleanPairs, type CleanStats } from '../../operators/cleanPairs.js';
import type { SentencePair } from '../../types.js';
import { rejection } from '../helpers/rejection.js';

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

  it('fails when it drops every pair, saying how many and which filter removed them', async () => {
    const input = [
      pair('', 'hello', 1),
      pair('uno dos tres cuatro', 'one two three four', 2),
      pair('uno dos tres cuatro cinco seis', 'one', 3),
      pair('a b c d e f g h', 'a b c d e f g h', 4),
    ];
    const error = await rejection(
      lastValueFrom(from(input).pipe(cleanPairs({ maxLength: 3, lengthRatio: 2.5 }), toArray())),
    );
    expect(error.code).to.equal('CORPUS_EMPTY');
    expect(error.message).to.equal(
      'clean kept 0 of 4 pairs of c.tsv: 3 longer than maxLength 3 words, 1 empty on one side',
    );
    expect(error.hint).to.match(/raise maxLength/);
    const ratio = await rejection(
      lastValueFrom(from([pair('uno dos tres', 'one')]).pipe(cleanPairs({ lengthRatio: 2 }), toArray())),
    );
    expect(ratio.message).to.equal(
      'clean kept 0 of 1 pair of c.tsv: 1 with a word-count ratio above lengthRatio 2',
    );
    expect(ratio.hint).to.match(/raise lengthRatio/);
  });

  it('lets an empty input through: there was nothing to drop', async () => {
    expect(await lastValueFrom(from([] as SentencePair[]).pipe(cleanPairs(), toArray()))).to.deep.equal([]);
  });
});
