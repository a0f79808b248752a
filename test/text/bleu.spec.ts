import { expect } from 'chai';
import { bleuFromStatistics, corpusBleu, sentenceBleu } from '../../text/bleu.js';
import { tokenize13a } from '../../text/tokenizer13a.js';
import { isSubflowError } from '../../errors.js';
import { fixtures } from './sacrebleuFixtures.js';

const RAW = { smoothMethod: 'floor', tokenize: 'none', effectiveOrder: true } as const;

describe('text/bleu (sacreBLEU 2.x corpus BLEU)', () => {
  describe('matches sacreBLEU test values', () => {
    for (const testCase of fixtures.corpusBleu) {
      it(`corpus_bleu: ${testCase.what} → ${testCase.score}`, () => {
        const hyps = testCase.hyps === 'readme' ? fixtures.readmeHyps : testCase.hyps;
        const result = corpusBleu(hyps, fixtures.readmeRefs, testCase.options);
        expect(result.score).to.be.closeTo(testCase.score, 1e-6);
      });
    }
    for (const [order, expected] of fixtures.maxNgramOrder) {
      it(`max n-gram order ${order} → ${expected}`, () => {
        const result = corpusBleu(fixtures.readmeHyps, fixtures.readmeRefs, { maxNgramOrder: order });
        expect(result.score.toFixed(2)).to.equal(expected);
        expect(result.counts).to.have.length(order);
      });
    }
    for (const testCase of fixtures.rawCorpusBleu.cases) {
      it(`raw_corpus_bleu ${JSON.stringify(testCase.hyps)} vs ${JSON.stringify(testCase.refs)}`, () => {
        const result = corpusBleu(testCase.hyps, testCase.refs, {
          ...RAW,
          smoothValue: testCase.smoothValue,
        });
        expect(result.score).to.be.closeTo(testCase.score, 1e-6);
      });
    }
    it('n-gram statistics of a sentence with repeated words (clipping)', () => {
      const { hyps, refs, counts, totals } = fixtures.rawCorpusBleu.statistics;
      const result = corpusBleu(hyps, refs, { ...RAW, smoothValue: 0.01 });
      expect(result.counts).to.deep.equal(counts);
      expect(result.totals).to.deep.equal(totals);
    });
    for (const testCase of fixtures.fromStatistics) {
      it(`compute_bleu(${testCase.counts}, ${testCase.totals}, ${testCase.sysLen}, ${testCase.refLen})`, () => {
        const { score } = bleuFromStatistics(
          testCase.counts,
          testCase.totals,
          testCase.sysLen,
          testCase.refLen,
          testCase.options,
        );
        expect(score).to.be.closeTo(testCase.score, 1e-6);
      });
    }
    for (const testCase of fixtures.sentenceBleu.cases) {
      it(`sentence_bleu ${JSON.stringify(testCase.options)} → ${testCase.score}`, () => {
        const { hyp, ref } = fixtures.sentenceBleu;
        expect(sentenceBleu(hyp, [ref], testCase.options).score).to.be.closeTo(testCase.score, 1e-3);
      });
    }
    it('sentence_bleu is 0 without any match, whatever the smoothing', () => {
      const { hyp, ref } = fixtures.sentenceBleu.zero;
      for (const smoothMethod of ['exp', 'none', 'floor', 'add-k'] as const) {
        expect(sentenceBleu(hyp, [ref], { smoothMethod }).score).to.equal(0);
      }
    });
  });

  it('reports counts, totals, precisions, brevity penalty, lengths and the signature', () => {
    const result = corpusBleu(['The cat sat on the mat.'], ['The cat sat on the red mat.']);
    expect(result.sysLen).to.equal(7);
    expect(result.refLen).to.equal(8);
    expect(result.bp).to.be.closeTo(Math.exp(1 - 8 / 7), 1e-12);
    expect(result.counts).to.deep.equal([7, 5, 3, 2]);
    expect(result.totals).to.deep.equal([7, 6, 5, 4]);
    expect(result.precisions).to.deep.equal([100, (100 * 5) / 6, 60, 50]);
    expect(result.signature).to.equal('nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.4.3');
  });

  it('is 100 for a perfect match with punctuation and numbers, and case-sensitive', () => {
    const line = 'Pagó 1.000,50 € el 3-4 de mayo (¡sí!), dijo "Ana".';
    expect(corpusBleu([line], [line]).score).to.be.closeTo(100, 1e-9);
    expect(corpusBleu([line.toLowerCase()], [line]).score).to.be.below(100);
    expect(corpusBleu([line.toLowerCase()], [line], { lowercase: true }).score).to.be.closeTo(100, 1e-9);
    expect(corpusBleu([line], [line], { lowercase: true }).signature).to.contain('case:lc');
  });

  it('tokenizes like mteval-v13a', () => {
    expect(tokenize13a('It wasn\'t 3.5%, "no"!')).to.deep.equal([
      'It',
      "wasn't",
      '3.5',
      '%',
      ',',
      '"',
      'no',
      '"',
      '!',
    ]);
    expect(tokenize13a('1,000.5 and 5. end-to-end 3-4 &amp; &lt;b&gt; <skipped>x')).to.deep.equal([
      '1,000.5',
      'and',
      '5',
      '.',
      'end-to-end',
      '3',
      '-',
      '4',
      '&',
      '<',
      'b',
      '>',
      'x',
    ]);
  });

  it('scores an empty hypothesis 0 and counts its missing length in the brevity penalty', () => {
    const result = corpusBleu(['', 'the same four words'], ['something', 'the same four words']);
    expect(result.sysLen).to.equal(4);
    expect(result.refLen).to.equal(5);
    expect(result.totals).to.deep.equal([4, 3, 2, 1]);
    expect(result.score).to.be.closeTo(100 * Math.exp(1 - 5 / 4), 1e-9);
    // with fewer than 4 hypothesis tokens in the corpus there are no 4-grams: BLEU is 0, as in sacreBLEU
    expect(corpusBleu(['', 'the same words'], ['something', 'the same words']).score).to.equal(0);
  });

  it('rejects unaligned or empty input with a SubflowError', () => {
    const call = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(
      isSubflowError(
        call(() => corpusBleu(['a', 'b'], ['a'])),
        'BAD_ARGUMENT',
      ),
    ).to.equal(true);
    expect(
      isSubflowError(
        call(() => corpusBleu([], [])),
        'BAD_ARGUMENT',
      ),
    ).to.equal(true);
    expect(
      isSubflowError(
        call(() => corpusBleu(['a'], [''])),
        'BAD_ARGUMENT',
      ),
    ).to.equal(true);
  });
});
