import { expect } from 'chai';
import { isSubflowError } from '../../errors.js';
import {
  FIRST_WORD_ID,
  generateReverseTask,
  parseTokens,
  renderReverseCorpus,
  renderTokens,
} from '../../corpora/synthetic.js';

describe('corpora/synthetic generateReverseTask', () => {
  const options = { count: 500, minLength: 3, maxLength: 12, vocabSize: 30, seed: 7 };

  it('gives the same pairs for the same seed and different pairs for another seed', () => {
    expect(generateReverseTask(options)).to.deep.equal(generateReverseTask(options));
    expect(generateReverseTask({ ...options, seed: 8 })).to.not.deep.equal(generateReverseTask(options));
  });

  it('makes each target the reversed source, within the length and id bounds', () => {
    const pairs = generateReverseTask(options);
    expect(pairs).to.have.length(500);
    const lengths = new Set<number>();
    const ids = new Set<number>();
    for (const { src, tgt } of pairs) {
      expect(tgt).to.deep.equal([...src].reverse());
      expect(src.length).to.be.within(3, 12);
      lengths.add(src.length);
      for (const id of src) ids.add(id);
    }
    // 500 draws cover every length and every word id, and never a special id.
    expect([...lengths].sort((a, b) => a - b)).to.deep.equal([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(Math.min(...ids)).to.equal(FIRST_WORD_ID);
    expect(Math.max(...ids)).to.equal(29);
    expect(ids.size).to.equal(26);
  });

  it('gives the pair corpora/README.md shows for seed 1', () => {
    const [first] = generateReverseTask({ count: 1000, minLength: 3, maxLength: 12, vocabSize: 30, seed: 1 });
    expect(first).to.deep.equal({
      src: [4, 17, 29, 29, 11, 19, 22, 15, 29],
      tgt: [29, 15, 22, 19, 11, 29, 29, 17, 4],
    });
  });

  it('uses the documented defaults', () => {
    const pairs = generateReverseTask({ count: 300, seed: 1 });
    const all = pairs.flatMap((pair) => pair.src);
    expect(Math.max(...pairs.map((pair) => pair.src.length))).to.equal(12);
    expect(Math.min(...pairs.map((pair) => pair.src.length))).to.equal(3);
    expect(Math.max(...all)).to.equal(29);
  });

  it('rejects impossible options with BAD_ARGUMENT naming the key', () => {
    const cases = [
      { count: -1, seed: 1 },
      { count: 1.5, seed: 1 },
      { count: 1, minLength: 0, seed: 1 },
      { count: 1, minLength: 5, maxLength: 4, seed: 1 },
      { count: 1, vocabSize: 4, seed: 1 },
    ];
    const keys = ['count', 'count', 'minLength', 'maxLength', 'vocabSize'];
    cases.forEach((bad, i) => {
      try {
        generateReverseTask(bad);
        expect.fail(`accepted ${JSON.stringify(bad)}`);
      } catch (error) {
        expect(isSubflowError(error, 'BAD_ARGUMENT')).to.equal(true);
        expect((error as { key?: string }).key).to.equal(keys[i]);
      }
    });
  });
});

describe('corpora/synthetic rendering', () => {
  it('renders ids as w-tokens and parses them back', () => {
    expect(renderTokens([4, 17, 5])).to.equal('w4 w17 w5');
    expect(parseTokens('w4 w17 w5')).to.deep.equal([4, 17, 5]);
    expect(parseTokens('')).to.deep.equal([]);
    expect(() => parseTokens('w4 x5')).to.throw(/not a synthetic token: 'x5'/);
  });

  it('writes a line-aligned corpus pair whose lines parse back to the pairs', () => {
    const pairs = generateReverseTask({ count: 50, seed: 3 });
    const { source, target } = renderReverseCorpus(pairs);
    const sourceLines = source.split('\n');
    const targetLines = target.split('\n');
    expect(sourceLines.pop()).to.equal('');
    expect(targetLines.pop()).to.equal('');
    expect(sourceLines.map(parseTokens)).to.deep.equal(pairs.map((pair) => pair.src));
    expect(targetLines.map(parseTokens)).to.deep.equal(pairs.map((pair) => pair.tgt));
    expect(targetLines[0].split(' ').reverse().join(' ')).to.equal(sourceLines[0]);
  });
});
