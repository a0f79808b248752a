import { expect } from 'chai';
import { isFlat, splitByAttention, type AlignedTranslation } from '../../subtitles/attentionSplit.js';
import { segmentCues, splitTranslation } from '../../subtitles/segment.js';
import { prepareCues } from '../../subtitles/translateDocument.js';
import type { WordAttention } from '../../text/wordAlignment.js';

/** Word attention where target word t attends to source word alignment[t] (one-hot). */
function oneHot(sourceWords: string[], targetWords: string[], alignment: number[]): WordAttention {
  const weights = alignment.map((s) => sourceWords.map((_, j) => (j === s ? 1 : 0)));
  return { sourceWords, targetWords, weights };
}

describe('attention-guided cue splitting', () => {
  // Cue 1 "Cuando llegó la noche," (4 words), cue 2 "todos se fueron a casa." (5 words). The
  // translation puts the short clause first, so proportional splitting (4:5) cuts in the wrong place.
  const cues = ['Cuando llegó la noche,', 'todos se fueron a casa.'];
  const sourceWords = cues.join(' ').split(' ');
  const text = 'At night, everyone went back to their homes.';
  const targetWords = text.split(' ');
  // At→Cuando, night,→noche, everyone→todos, went→fueron, back→a, to→a, their→casa, homes.→casa.
  const words = oneHot(sourceWords, targetWords, [0, 3, 4, 6, 7, 7, 8, 8]);
  const translation: AlignedTranslation = { text, words };

  it('cuts where the attention crosses the cue boundary', () => {
    expect(splitByAttention({ wordCounts: [4, 5] }, translation)).to.deep.equal([
      'At night,',
      'everyone went back to their homes.',
    ]);
  });

  it('is used by splitTranslation and prepareCues for split: attention, proportional otherwise', () => {
    const [segment] = segmentCues(
      cues.map((cue, index) => ({ index, start: index * 2000, end: index * 2000 + 1800, text: cue })),
    );
    expect(segment.sourceWordCounts).to.deep.equal([4, 5]);
    expect(splitTranslation(segment, translation, { split: 'attention' })).to.deep.equal([
      'At night,',
      'everyone went back to their homes.',
    ]);
    const proportional = splitTranslation(segment, translation, { split: 'proportional' });
    expect(proportional[0]).to.not.equal('At night,');
    expect(splitTranslation(segment, text, { split: 'attention' })).to.deep.equal(proportional);

    const doc = {
      format: 'srt' as const,
      cues: cues.map((cue, c) => ({ start: c * 2000, end: c * 2000 + 1800, text: cue })),
    };
    const assembled = prepareCues(doc, { split: 'attention' }).assemble([translation]);
    expect(assembled.cues.map((cue) => cue.text.replace(/\n/g, ' '))).to.deep.equal([
      'At night,',
      'everyone went back to their homes.',
    ]);
  });

  it('splits three cues monotonically, each getting at least one word', () => {
    const three = oneHot(['a', 'b', 'c'], ['x', 'y', 'z', 'w'], [0, 1, 1, 2]);
    const segment = { wordCounts: [1, 1, 1] };
    expect(splitByAttention(segment, { text: 'x y z w', words: three })).to.deep.equal(['x', 'y z', 'w']);
    // Everything on the first cue: the later cues still get a word each.
    const first = oneHot(['a', 'b', 'c'], ['x', 'y', 'z', 'w'], [0, 0, 0, 0]);
    expect(splitByAttention(segment, { text: 'x y z w', words: first })).to.deep.equal(['x y', 'z', 'w']);
  });

  it('keeps the line limit where some cut can, and lets reading speed settle a close call', () => {
    // The attention wants everything but the last word in cue 1; 10 characters per cue allow 2 words.
    const long = oneHot(['a', 'b'], ['aaaa', 'bbbb', 'cccc', 'dddd'], [0, 0, 0, 1]);
    const text = 'aaaa bbbb cccc dddd';
    expect(splitByAttention({ wordCounts: [1, 1] }, { text, words: long })).to.deep.equal([
      'aaaa bbbb cccc',
      'dddd',
    ]);
    expect(
      splitByAttention({ wordCounts: [1, 1] }, { text, words: long }, { maxLineLength: 10, maxLines: 1 }),
    ).to.deep.equal(['aaaa bbbb', 'cccc dddd']);
    // "cccc" leans a little to cue 1; cue 1 lasts 1 s, which at 10 characters a second holds "aaaa bbbb".
    const close: WordAttention = {
      sourceWords: ['a', 'b'],
      targetWords: text.split(' '),
      weights: [
        [1, 0],
        [1, 0],
        [0.55, 0.45],
        [0, 1],
      ],
    };
    expect(splitByAttention({ wordCounts: [1, 1] }, { text, words: close })).to.deep.equal([
      'aaaa bbbb cccc',
      'dddd',
    ]);
    expect(
      splitByAttention(
        { wordCounts: [1, 1], durationsMs: [1000, 5000] },
        { text, words: close },
        { maxCharsPerSecond: 10 },
      ),
    ).to.deep.equal(['aaaa bbbb', 'cccc dddd']);
  });

  it('settles a close call at the target word that ends in the punctuation the source cue ends in', () => {
    // Cue 1 ends at a comma; the translation inserts "and" before the second clause, and the model's
    // attention for it still leans on the comma word: by attention alone "and" would end cue 1.
    const source = ['David', 'iba', 'creciendo,', 'y', 'Jehová', 'era', 'con', 'él.'];
    const text = 'David went growing, and the Lord was with him.';
    const weights = [
      [1, 0, 0, 0, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0, 0, 0],
      [0, 0.1, 0.9, 0, 0, 0, 0, 0],
      [0, 0, 0.55, 0.45, 0, 0, 0, 0],
      [0, 0, 0, 0, 1, 0, 0, 0],
      [0, 0, 0, 0, 1, 0, 0, 0],
      [0, 0, 0, 0, 0, 1, 0, 0],
      [0, 0, 0, 0, 0, 0, 1, 0],
      [0, 0, 0, 0, 0, 0, 0, 1],
    ];
    const close = { sourceWords: source, targetWords: text.split(' '), weights };
    expect(splitByAttention({ wordCounts: [3, 5] }, { text, words: close })).to.deep.equal([
      'David went growing,',
      'and the Lord was with him.',
    ]);
    // Clear attention outweighs punctuation: the comma after "disciples" translates a colon inside cue 1.
    const cue1 = ['Jesús', 'dijo', 'á', 'sus', 'discípulos:', 'os', 'digo,'];
    const cue2 = ['que', 'un', 'rico', 'entrará.'];
    const said = 'Jesus said to his disciples, I tell you that a rich man will enter.';
    const clear = oneHot([...cue1, ...cue2], said.split(' '), [0, 1, 2, 3, 4, 6, 6, 5, 7, 8, 9, 9, 10, 10]);
    expect(splitByAttention({ wordCounts: [7, 4] }, { text: said, words: clear })).to.deep.equal([
      'Jesus said to his disciples, I tell you',
      'that a rich man will enter.',
    ]);
  });

  it('falls back (undefined) when attention is flat, missing or does not match the texts', () => {
    const flat: WordAttention = {
      sourceWords,
      targetWords,
      weights: targetWords.map(() => sourceWords.map(() => 1 / sourceWords.length)),
    };
    expect(isFlat(flat.weights)).to.equal(true);
    expect(isFlat(words.weights)).to.equal(false);
    expect(splitByAttention({ wordCounts: [4, 5] }, { text, words: flat })).to.equal(undefined);
    expect(splitByAttention({ wordCounts: [4, 5] }, { text })).to.equal(undefined);
    expect(splitByAttention({ wordCounts: [3, 5] }, translation)).to.equal(undefined);
    expect(splitByAttention({ wordCounts: [4, 5] }, { text: `${text} more`, words })).to.equal(undefined);
  });
});
