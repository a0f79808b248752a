import { expect } from 'chai';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { segmentSentences } from '../../operators/segmentSentences.js';
import type { Cue } from '../../subtitles/cue.js';
import { splitTranslation } from '../../subtitles/segment.js';

const cue = (start: number, text: string): Cue => ({ start, end: start + 900, text });

describe('segmentSentences', () => {
  const cues = [
    cue(0, '<i>Hace mucho tiempo,</i>'),
    cue(1000, 'vivía un hombre.'),
    cue(2000, '[puerta se cierra]'),
    cue(3000, '- ¿Quién?\n- Yo.'),
    cue(4000, 'Y luego'),
    cue(5000, 'nada'),
  ];

  it('merges cues into sentences, flushing the last one on complete', async () => {
    const segments = await lastValueFrom(from(cues).pipe(segmentSentences(), toArray()));
    expect(segments.map((s) => s.cueIndices)).to.deep.equal([[0, 1], [2], [3], [4, 5]]);
    expect(segments[0].text).to.equal('Hace mucho tiempo, vivía un hombre.');
    expect(splitTranslation(segments[3], segments[3].text)).to.deep.equal(['Y luego', 'nada']);
  });

  it('emits a sentence as soon as it ends, and is cold', async () => {
    const input = new Subject<Cue>();
    const seen: number[][] = [];
    input.pipe(segmentSentences()).subscribe((s) => seen.push(s.cueIndices));
    input.next(cues[0]);
    expect(seen).to.deep.equal([]);
    input.next(cues[1]);
    expect(seen).to.deep.equal([[0, 1]]);
    // Each subscription starts counting from 0.
    const again = await lastValueFrom(from(cues.slice(4)).pipe(segmentSentences({ maxCues: 1 }), toArray()));
    expect(again.map((s) => s.cueIndices)).to.deep.equal([[0], [1]]);
  });
});
