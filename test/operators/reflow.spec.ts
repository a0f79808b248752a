import { expect } from 'chai';
import { from, lastValueFrom, toArray } from 'rxjs';
import { reflow } from '../../operators/reflow.js';
import type { Cue } from '../../subtitles/cue.js';

describe('reflow operator', () => {
  it('re-breaks long cues, keeps fitting and non-speech ones, and warns on overflow', async () => {
    const warnings: string[] = [];
    const cues: Cue[] = [
      {
        start: 0,
        end: 1000,
        text: 'A long time ago, in a city far away, there lived a man who could not read.',
      },
      { start: 1000, end: 2000, text: 'Short\nlines', extra: { id: 'x' } },
      {
        start: 2000,
        end: 3000,
        text: '♪ la la la la la la la la la la la la la la la la la la la la la la ♪',
      },
      { start: 3000, end: 4000, text: 'word '.repeat(30).trim() },
    ];
    const out = await lastValueFrom(
      from(cues).pipe(reflow({ onWarning: (w) => warnings.push(w.message) }), toArray()),
    );
    expect(out[0]).to.deep.equal({
      start: 0,
      end: 1000,
      text: 'A long time ago, in a city far away,\nthere lived a man who could not read.',
    });
    expect(out[1]).to.equal(cues[1]);
    expect(out[2]).to.equal(cues[2]);
    expect(out[3].text.replace(/\n/g, ' ')).to.equal(cues[3].text);
    expect(warnings).to.deep.equal([
      'cue at 00:00:03,000: needs 4 lines of at most 42 characters (limit 2); all text kept',
    ]);
    const forced = await lastValueFrom(from([cues[1]]).pipe(reflow({ force: true }), toArray()));
    expect(forced[0].text).to.equal('Short lines');
  });
});
