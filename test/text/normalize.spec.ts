import { expect } from 'chai';
import { normalizeText } from '../../text/normalize.js';

describe('text/normalize', () => {
  it('composes to NFC', () => {
    const decomposed = 'Canci\u006f\u0301n de man\u0303ana';
    expect(normalizeText(decomposed)).to.equal('Canción de mañana');
    expect(normalizeText(decomposed)).to.have.length('Canción de mañana'.length);
  });

  it('turns tabs, NBSP, thin spaces and line breaks into single spaces and trims', () => {
    expect(normalizeText(' \t¿Qué\u00a0tal?\u2009\u202fBien,\r\ngracias.\u3000 ')).to.equal(
      '¿Qué tal? Bien, gracias.',
    );
  });

  it('removes control and zero-width characters but keeps ZWJ/ZWNJ, case and punctuation', () => {
    expect(normalizeText('\ufeffHo\u200bla\u0000 \u00adMUNDO\u0007!\u200e')).to.equal('Hola MUNDO!');
    expect(normalizeText('a\u200b b')).to.equal('a b');
    const family = '👨\u200d👩\u200d👧';
    expect(normalizeText(family)).to.equal(family);
    expect(normalizeText('می\u200cخواهم')).to.equal('می\u200cخواهم');
  });

  it('composes accents that an invisible character separated from their letter', () => {
    expect(normalizeText('e\u200b\u0301')).to.equal('é');
  });

  it('leaves already clean text unchanged, including NFKC-sensitive characters', () => {
    for (const clean of ['Hello, world!', 'ﬁ ² ½ «comillas» — …', 'Él dijo: "¡Hola!"']) {
      expect(normalizeText(clean)).to.equal(clean);
    }
    expect(normalizeText('')).to.equal('');
    expect(normalizeText(' \t\u200b ')).to.equal('');
  });
});
