import { expect } from 'chai';
import { reflowCueText, reflowText } from '../../subtitles/reflow.js';
import { stripTags, visibleLength } from '../../subtitles/tags.js';

describe('reflow', () => {
  it('leaves short text on one line and joins old line breaks', () => {
    expect(reflowText('Corto\ny claro.')).to.deep.equal({ text: 'Corto y claro.', lines: 1, fits: true });
  });

  it('balances two lines within 42 visible characters, not counting tags', () => {
    const text = '<i>Hace mucho tiempo, en una ciudad lejana, vivía un hombre que no sabía leer.</i>';
    const result = reflowText(text);
    expect(result).to.deep.include({ lines: 2, fits: true });
    const [first, second] = result.text.split('\n');
    expect(visibleLength(first)).to.be.at.most(42);
    expect(Math.abs(visibleLength(first) - visibleLength(second))).to.be.at.most(10);
    expect(stripTags(result.text)).to.equal(stripTags(text));
    // 41 visible characters plus tags still fit on one line.
    expect(reflowText(`{\\an8}<b>${'x'.repeat(41)}</b>`).lines).to.equal(1);
  });

  it('prefers a break after a clause to perfect balance', () => {
    expect(reflowText('Uno dos tres cuatro cinco, seis siete ocho nueve diez once doce.').text).to.equal(
      'Uno dos tres cuatro cinco,\nseis siete ocho nueve diez once doce.',
    );
    expect(reflowText('Uno dos tres cuatro cinco seis siete ocho nueve diez once doce.').text).to.equal(
      'Uno dos tres cuatro cinco seis\nsiete ocho nueve diez once doce.',
    );
  });

  it('keeps each dialogue turn on its own line', () => {
    expect(reflowText('- ¿Quién anda ahí? - Soy yo.').text).to.equal('- ¿Quién anda ahí?\n- Soy yo.');
  });

  it('honours custom limits', () => {
    const result = reflowText('uno dos tres cuatro cinco seis', { maxLineLength: 12, maxLines: 3 });
    expect(result.text.split('\n').every((line) => line.length <= 12)).to.equal(true);
    expect(result.fits).to.equal(true);
  });

  it('never drops text: too long for the limits keeps every word and warns', () => {
    const text = 'palabra '.repeat(20).trim();
    const result = reflowText(text);
    expect(result.fits).to.equal(false);
    expect(result.warning).to.match(/needs 4 lines of at most 42 characters \(limit 2\); all text kept/);
    expect(result.text.replace(/\n/g, ' ')).to.equal(text);
    expect(result.text.split('\n').every((line) => line.length <= 42)).to.equal(true);
    const long = reflowText(`${'x'.repeat(50)} y`);
    expect(long).to.deep.include({ fits: false, text: `${'x'.repeat(50)}\ny` });
  });
});

describe('reflowCueText: the one rule of the reflow operator and translateDocument', () => {
  it('keeps text whose lines already fit, and non-speech, exactly as they are', () => {
    expect(reflowCueText('Short\nlines')).to.deep.equal({ text: 'Short\nlines', lines: 2, fits: true });
    const song = `♪ ${'la '.repeat(30).trim()} ♪`;
    expect(reflowCueText(song).text).to.equal(song);
    expect(reflowCueText(song, { force: true }).text).to.equal(song);
  });

  it('re-breaks text that does not fit, and fitting text when forced, as reflowText does', () => {
    const long = 'A long time ago, in a city far away, there lived a man who could not read.';
    expect(reflowCueText(long)).to.deep.equal(reflowText(long));
    expect(reflowCueText('one\ntwo\nthree')).to.deep.equal(reflowText('one\ntwo\nthree'));
    expect(reflowCueText('Short\nlines', { force: true }).text).to.equal('Short lines');
    expect(reflowCueText('abc def', { maxLineLength: 3 }).text).to.equal('abc\ndef');
  });
});
