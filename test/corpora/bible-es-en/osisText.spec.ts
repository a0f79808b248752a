import { expect } from 'chai';
import { osisToText, spanishCliticJoin } from '../../../corpora/bible-es-en/osisText.js';

describe('corpora/bible-es-en osisToText', () => {
  it('keeps word text and drops tags, notes, headings and speaker labels', () => {
    const markup =
      '<title type="x-introduction">Heading</title> <speaker>Beloved</speaker> <w lemma="strong:G1063">For</w> ' +
      '<w lemma="strong:G2316">God</w> so loved<note placement="foot"><reference type="annotateRef">3:16 </reference>' +
      'A note with <rdg type="alternate">a reading</rdg>.</note> the world. <milestone type="x-usfm-h" n="x"/>';
    expect(osisToText(markup)).to.equal('For God so loved the world.');
  });

  it('keeps a canonical psalm title, the Spanish prints it in verse 1 too', () => {
    const markup = '<title canonical="true" type="psalm">A Psalm by David.</title> <l level="1"/>Yahweh, how';
    expect(osisToText(markup)).to.equal('A Psalm by David. Yahweh, how');
  });

  it('puts a space between words whose elements touch, never before punctuation', () => {
    expect(osisToText('<w>hay allí</w><transChange type="added">también</transChange><w>su</w>.')).to.equal(
      'hay allí también su.',
    );
    expect(osisToText('only born</q><note>footnote</note><q>Son, that')).to.equal('only born Son, that');
    expect(osisToText('<w>Dios</w>: <w>Sea</w> la luz')).to.equal('Dios: Sea la luz');
  });

  it('decodes entities, collapses whitespace and normalises to NFC', () => {
    expect(osisToText('  A &amp; B\n\t &lt;c&gt;  ')).to.equal('A & B <c>');
    expect(osisToText('cre\u0301o')).to.equal('cr\u00e9o');
  });

  it('joins a Spanish verb and its clitic when the joined word is known or the verb an infinitive', () => {
    const join = spanishCliticJoin(new Set(['sácalo']));
    expect(osisToText('<w>sáca</w><transChange>lo</transChange> de aquí', join)).to.equal('sácalo de aquí');
    expect(osisToText('<w>pagar</w><transChange>la</transChange>', join)).to.equal('pagarla');
    expect(osisToText('<w>Josué</w><transChange>los</transChange> llevó', join)).to.equal('Josué los llevó');
    expect(osisToText('<w>hay</w><transChange>también</transChange>', join)).to.equal('hay también');
    expect(osisToText('<w>protésto</w><transChange>lo</transChange>', join)).to.equal('protéstolo');
    expect(osisToText('<w>éste</w><transChange>le</transChange> dijo', join)).to.equal('éste le dijo');
  });
});
