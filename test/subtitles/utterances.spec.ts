import { expect } from 'chai';
import { isNonSpeech, joinUtterances, splitUtterances } from '../../subtitles/utterances.js';

describe('utterances', () => {
  it('splits dialogue dashes on separate lines and inline', () => {
    expect(splitUtterances('- ¿Quién anda ahí?\n- Soy yo.')).to.deep.equal([
      { dash: '-', text: '¿Quién anda ahí?' },
      { dash: '-', text: 'Soy yo.' },
    ]);
    expect(splitUtterances('- Hola. - <i>Adiós.</i>')).to.deep.equal([
      { dash: '-', text: 'Hola.' },
      { dash: '-', text: '<i>Adiós.</i>' },
    ]);
    expect(splitUtterances('—Sí.\n—No, dijo\nque no.')).to.deep.equal([
      { dash: '—', text: 'Sí.' },
      { dash: '—', text: 'No, dijo\nque no.' },
    ]);
  });

  it('splits WebVTT voices, one per line', () => {
    expect(splitUtterances('<v Ana>Hola,\n¿qué tal?</v>\n<v.loud Luis>Bien.</v>')).to.deep.equal([
      { dash: '', text: '<v Ana>Hola,\n¿qué tal?</v>' },
      { dash: '', text: '<v.loud Luis>Bien.</v>' },
    ]);
    expect(splitUtterances('<v Ana>Hola,\n¿qué tal?</v>')).to.have.length(1);
  });

  it('leaves text without dialogue dashes whole', () => {
    for (const text of ['Hola - adiós', '-5 grados hoy', 'uno\ndos']) {
      expect(splitUtterances(text)).to.deep.equal([{ dash: '', text }]);
    }
  });

  it('joins turns one per line with the dash after leading tags', () => {
    expect(joinUtterances(splitUtterances('{\\an8}- Hola.\n- Adiós.'))).to.equal('{\\an8}- Hola.\n- Adiós.');
    expect(joinUtterances(splitUtterances('- Hi. - Hello.'))).to.equal('- Hi.\n- Hello.');
    // An empty translation of a turn keeps its dash, with no trailing space.
    expect(
      joinUtterances([
        { dash: '-', text: '' },
        { dash: '-', text: '<i></i>' },
        { dash: '-', text: 'Hola.' },
      ]),
    ).to.equal('-\n<i></i>-\n- Hola.');
  });

  it('detects non-speech cues', () => {
    for (const text of [
      '[puerta se cierra]',
      '(risas)',
      '♪ La cucaracha ♪',
      '♪ ♪',
      '<i>[música]</i>',
      '# la la la',
      '...',
      '',
    ]) {
      expect(isNonSpeech(text), text).to.equal(true);
    }
    expect(isNonSpeech('{\\p1}m 0 0 l 10 0{\\p0}')).to.equal(true);
    for (const text of ['(risas) Hola', 'Hola [sic]', '¿Qué?'])
      expect(isNonSpeech(text), text).to.equal(false);
  });
});
