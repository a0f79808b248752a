import { expect } from 'chai';
import { maskTags, stripTags, visibleLength } from '../../subtitles/tags.js';

const upper = (text: string): string => {
  const masked = maskTags(text);
  return masked.restore(masked.plain.toUpperCase());
};

describe('tag masking', () => {
  it('gives the translator plain text: no tags, line breaks as spaces', () => {
    expect(maskTags('<i>Hace mucho tiempo,\nen una ciudad lejana,</i>').plain).to.equal(
      'Hace mucho tiempo, en una ciudad lejana,',
    );
    expect(maskTags('{\\an8}{\\i1}Hola{\\i0}\\Ny\\hadiós').plain).to.equal('Hola y adiós');
    expect(maskTags('<font color="#ff0000">rojo</font> <00:00:01.000>x').plain).to.equal('rojo x');
  });

  it('restores the same text exactly when the words are unchanged', () => {
    for (const text of [
      'Soy yo, <b>abre</b>.',
      'uno <i>dos tres</i> cuatro',
      '{\\an8}Arriba',
      '<u>a</u> b <b>c</b>',
    ]) {
      const masked = maskTags(text);
      expect(masked.restore(masked.plain)).to.equal(text);
    }
  });

  it('keeps tags that span the whole text around the whole translation', () => {
    const masked = maskTags('<i>Hace mucho tiempo,\nen una ciudad lejana,</i>');
    expect(masked.restore('Long ago, in a faraway city,')).to.equal('<i>Long ago, in a faraway city,</i>');
    // Italics closed and reopened across a line break are one span.
    expect(maskTags('<i>uno</i>\n<i>dos</i>').restore('one two three')).to.equal('<i>one two three</i>');
    expect(maskTags('{\\i1}uno{\\i0}\n{\\i1}dos{\\i0}').restore('one two')).to.equal('{\\i1}one two{\\i0}');
  });

  it('puts inner tags at proportional word positions, in order, inside trailing punctuation', () => {
    expect(upper('Soy yo, <b>abre</b>.')).to.equal('SOY YO, <b>ABRE</b>.');
    const masked = maskTags('uno <i>dos tres</i> cuatro cinco');
    expect(masked.restore('a b c d e f g h i j')).to.equal('a b <i>c d e f</i> g h i j');
    // Fewer words than tags need: the pair stays ordered and closed.
    expect(masked.restore('a')).to.equal('<i>a</i>');
    expect(masked.restore('')).to.equal('');
  });

  it('decodes and re-escapes WebVTT entities when asked', () => {
    const masked = maskTags('<v Ana>Tom &amp; Jerry &lt;3</v>', { entities: true });
    expect(masked.plain).to.equal('Tom & Jerry <3');
    expect(masked.restore('Tom & Jerry <3')).to.equal('<v Ana>Tom &amp; Jerry &lt;3</v>');
  });

  it('strips tags and counts visible characters', () => {
    expect(stripTags('{\\an8}<i>Hola</i>\n  mundo')).to.equal('Hola mundo');
    expect(visibleLength('<i>Hola</i>\\hmundo')).to.equal(10);
  });
});
