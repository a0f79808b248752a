import { expect } from 'chai';
import { chrfFromStatistics, corpusChrf, sentenceChrf } from '../../text/chrf.js';
import { isSubflowError } from '../../errors.js';
import { fixtures } from './sacrebleuFixtures.js';

const short = (text: string): string => (text.length > 30 ? `${text.slice(0, 30)}…` : text);

describe('text/chrf (sacreBLEU 2.x chrF)', () => {
  describe('matches sacreBLEU test values', () => {
    for (const [hyps, refs, expected] of fixtures.chrf.epsSmoothingBeta3) {
      it(`eps smoothing, beta 3: ${short(JSON.stringify(hyps))} → ${expected}`, () => {
        expect(corpusChrf(hyps, refs, { beta: 3, epsSmoothing: true }).score).to.be.closeTo(expected, 1e-4);
      });
    }
    for (const [hyps, refs, expected] of fixtures.chrf.effectiveOrderBeta3) {
      it(`effective order, beta 3: ${JSON.stringify(hyps)} vs ${JSON.stringify(refs)} → ${expected}`, () => {
        expect(corpusChrf(hyps, refs, { beta: 3 }).score).to.be.closeTo(expected, 1e-4);
      });
    }
    for (const [hyps, refs, expected] of fixtures.chrf.keepWhitespaceBeta3) {
      it(`whitespace kept, beta 3: ${short(hyps[0])} → ${expected}`, () => {
        expect(corpusChrf(hyps, refs, { beta: 3, whitespace: true }).score).to.be.closeTo(expected, 1e-4);
      });
    }
    for (const [hyp, ref, expected] of fixtures.chrf.sentenceEpsSmoothing) {
      it(`sentence chrF2, eps smoothing: ${short(hyp)} → ${expected}`, () => {
        expect(sentenceChrf(hyp, [ref], { epsSmoothing: true }).score).to.be.closeTo(expected, 1e-4);
      });
    }
    it(`default chrF2 → ${fixtures.chrf.defaultChrf2.score}`, () => {
      const { hyp, ref, score } = fixtures.chrf.defaultChrf2;
      expect(corpusChrf([hyp], [ref]).score).to.be.closeTo(score, 1e-9);
    });
  });

  it('gives 100 for a perfect match, 0 for an empty hypothesis, and the sacreBLEU signature', () => {
    const line = '¿Pagó 1.000,50 € el 3-4 de mayo? ¡Sí!';
    const perfect = corpusChrf([line], [line]);
    expect(perfect.score).to.be.closeTo(100, 1e-9);
    expect(perfect.name).to.equal('chrF2');
    expect(perfect.signature).to.equal('nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.4.3');
    expect(perfect.statistics).to.have.length(6);
    expect(corpusChrf([''], [line]).score).to.equal(0);
    expect(corpusChrf([line.toUpperCase()], [line]).score).to.be.below(50);
  });

  it('counts characters as code points, as Python does', () => {
    // '😀' is one code point but two UTF-16 units: unigrams must be 2, not 3
    const { statistics } = corpusChrf(['a😀'], ['a😀']);
    expect(statistics[0]).to.deep.equal([2, 2, 2]);
    expect(statistics[1]).to.deep.equal([1, 1, 1]);
  });

  it('sums statistics over the corpus before the F-score', () => {
    const hyps = ['the cat', 'a dog barks'];
    const refs = ['the cat', 'the dog barked'];
    const corpus = corpusChrf(hyps, refs);
    const one = corpusChrf([hyps[0]], [refs[0]]).statistics;
    const two = corpusChrf([hyps[1]], [refs[1]]).statistics;
    expect(corpus.statistics).to.deep.equal(one.map((row, i) => row.map((value, j) => value + two[i][j])));
    expect(corpus.score).to.equal(chrfFromStatistics(corpus.statistics));
  });

  it('adds word n-grams for chrF++ and picks the best of several references', () => {
    const plusPlus = corpusChrf(['Hello, world!'], ['Hello, world!'], { wordOrder: 2 });
    expect(plusPlus.name).to.equal('chrF2++');
    expect(plusPlus.statistics).to.have.length(8);
    // words: Hello | , ... chrF++ splits one punctuation mark off a word: 'Hello,' → 'Hello' ','
    expect(plusPlus.statistics[6]).to.deep.equal([4, 4, 4]);
    const multi = corpusChrf(['the dog'], [['a cat'], ['the dog']]);
    expect(multi.score).to.be.closeTo(100, 1e-9);
    expect(multi.signature).to.contain('nrefs:2');
  });

  it('rejects bad orders with a SubflowError', () => {
    try {
      corpusChrf(['a'], ['a'], { charOrder: 0 });
      expect.fail('no error');
    } catch (error) {
      expect(isSubflowError(error, 'BAD_ARGUMENT')).to.equal(true);
    }
  });
});
