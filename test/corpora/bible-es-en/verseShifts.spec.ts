import { expect } from 'chai';
import { findShiftedChapters, type ChapterLengths } from '../../../corpora/bible-es-en/verseShifts.js';
import { SeededRandom } from '../../../random.js';

/** A chapter of `verses` English verse lengths, with Spanish lengths ≈ the same ± 10 %, then shifted. */
function chapter(
  name: string,
  verses: number,
  shift: number,
  fromVerse: number,
  random: SeededRandom,
): ChapterLengths {
  const target = [0, ...Array.from({ length: verses }, () => 40 + random.int(200))];
  const translated = target.map((length) =>
    length === 0 ? 0 : Math.round(length * (0.9 + 0.2 * random.next())),
  );
  // source verse v+shift holds target verse v's text from `fromVerse` on.
  const source = new Array<number>(verses + 1).fill(0);
  for (let v = 1; v <= verses; v++) {
    const at = v >= fromVerse ? v + shift : v;
    if (at >= 1 && at <= verses) source[at] = translated[v];
  }
  return { chapter: name, source, target };
}

describe('corpora/bible-es-en findShiftedChapters', () => {
  const random = new SeededRandom(11);
  const aligned = Array.from({ length: 60 }, (_, i) =>
    chapter(`Aligned ${i + 1}`, 12 + random.int(30), 0, 1, random),
  );

  it('reports whole-chapter and mid-chapter shifts, with their size and start', () => {
    const shifted = [
      chapter('Jonah 2', 10, 1, 1, random),
      chapter('Job 40', 24, -5, 1, random),
      chapter('II Chronicles 33', 25, -1, 12, random),
    ];
    const found = findShiftedChapters([...aligned, ...shifted]);
    expect(found.map((c) => [c.chapter, c.shift])).to.deep.equal([
      ['Jonah 2', 1],
      ['Job 40', -5],
      ['II Chronicles 33', -1],
    ]);
    expect(found[2].fromVerse).to.be.within(11, 13);
    for (const c of found) expect(c.unshiftedCost - c.cost).to.be.greaterThan(30);
  });

  it('reports nothing when every verse pairs with its own number', () => {
    expect(findShiftedChapters(aligned)).to.deep.equal([]);
  });
});
