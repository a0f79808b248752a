import { expect } from 'chai';
import { isSentenceEnd, segmentCues, splitTranslation, type SegmentItem } from '../../subtitles/segment.js';

const item = (index: number, start: number, text: string, extra: Partial<SegmentItem> = {}): SegmentItem => ({
  index,
  start,
  end: start + 900,
  text,
  ...extra,
});

describe('sentence segmentation', () => {
  it('knows sentence ends, ellipses and Spanish marks', () => {
    expect(isSentenceEnd('Hola.')).to.equal(true);
    expect(isSentenceEnd('¿Vienes?"')).to.equal(true);
    expect(isSentenceEnd('No puede ser...')).to.equal(false);
    expect(isSentenceEnd('en una ciudad lejana,')).to.equal(false);
    expect(isSentenceEnd('¿Sabes que dijo: ¡no.')).to.equal(false);
  });

  it('merges cues into sentences within the gap, cue and character limits', () => {
    const items = [
      item(0, 0, 'Hace mucho tiempo,'),
      item(1, 1000, 'en una ciudad lejana,'),
      item(2, 2000, 'vivía un hombre.'),
      item(3, 3000, 'No puede ser...'),
      item(4, 4000, '...que hayas vuelto.'),
      item(5, 5000, 'Espera...'),
      item(6, 6000, '¿Quién es'),
      item(7, 9000, 'usted?'), // 2.1 s of silence before it
      item(8, 10_000, 'Uno'),
      item(9, 11_000, 'dos', { standalone: true }),
    ];
    const segments = segmentCues(items);
    expect(segments.map((s) => s.cueIndices)).to.deep.equal([[0, 1, 2], [3, 4], [5], [6], [7], [8], [9]]);
    expect(segments[0]).to.deep.include({
      text: 'Hace mucho tiempo, en una ciudad lejana, vivía un hombre.',
      sourceLengths: [16, 18, 14],
      start: 0,
      end: 2900,
    });
    expect(segmentCues(items.slice(0, 3), { maxCues: 2 }).map((s) => s.cueIndices)).to.deep.equal([
      [0, 1],
      [2],
    ]);
    expect(segmentCues(items.slice(0, 3), { maxChars: 30 }).map((s) => s.cueIndices)).to.deep.equal([
      [0],
      [1],
      [2],
    ]);
  });

  it('is reversible: splitting the untranslated text gives back every piece', () => {
    const texts = [
      'a',
      'Hace  mucho tiempo,',
      'en una',
      'ciudad lejana, vivía un hombre',
      'x y',
      'que no sabía leer.',
    ];
    const [segment] = segmentCues(
      texts.map((text, k) => item(k, k * 1000, text)),
      { maxCues: 10 },
    );
    expect(segment.cueIndices).to.have.length(texts.length);
    expect(splitTranslation(segment, segment.text)).to.deep.equal(texts.map((t) => t.replace(/\s+/g, ' ')));
  });

  it('takes out the ellipses joining a sentence across cues and puts them back', () => {
    const [segment] = segmentCues([item(0, 0, 'No puede ser...'), item(1, 1000, '…que hayas vuelto.')]);
    expect(segment.text).to.equal('No puede ser que hayas vuelto.');
    expect(splitTranslation(segment, segment.text)).to.deep.equal(['No puede ser...', '…que hayas vuelto.']);
    expect(splitTranslation(segment, "It can't be that you're back.")).to.deep.equal([
      "It can't be...",
      "…that you're back.",
    ]);
    expect(splitTranslation(segment, "It can't be... that you're back.")).to.deep.equal([
      "It can't be...",
      "…that you're back.",
    ]);
  });

  it('splits a translation proportionally at word boundaries, never leaving a cue empty', () => {
    const [segment] = segmentCues([
      item(0, 0, 'Hace mucho tiempo, en una ciudad lejana,'),
      item(1, 1000, 'vivía un hombre.'),
    ]);
    expect(splitTranslation(segment, 'Long ago, in a faraway city, there lived a man.')).to.deep.equal([
      'Long ago, in a faraway city, there', // 34:14 of the source characters
      'lived a man.',
    ]);
    expect(splitTranslation(segment, 'Two words')).to.deep.equal(['Two', 'words']);
    expect(splitTranslation(segment, 'One')).to.deep.equal(['One', '']);
    expect(splitTranslation(segment, '')).to.deep.equal(['', '']);
    expect(splitTranslation(segment, '很久以前在遥远的城市里住着一个人。')).to.deep.equal([
      '很久以前在遥远的城市里住',
      '着一个人。',
    ]);
  });
});
