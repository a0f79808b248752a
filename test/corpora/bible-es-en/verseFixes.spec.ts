import { expect } from 'chai';
import { isSubflowError } from '../../../errors.js';
import { removeStanzaLetter, removeSubscription } from '../../../corpora/bible-es-en/verseFixes.js';

describe('corpora/bible-es-en verse fixes', () => {
  it('cuts a letter subscription after the last Amén', () => {
    const verse =
      'La gracia sea con todos vosotros. Amén. Fué escrita á los Hebreos desde Italia con Timoteo.';
    expect(removeSubscription(verse, 'Hebrews 13:25')).to.deep.equal({
      text: 'La gracia sea con todos vosotros. Amén.',
      removed: 'Fué escrita á los Hebreos desde Italia con Timoteo.',
    });
    expect(removeSubscription('Amén. Enviada de Roma á los Gálatas.', 'Galatians 6:18').text).to.equal(
      'Amén.',
    );
  });

  it('refuses a verse without a subscription, naming it', () => {
    try {
      removeSubscription('La gracia sea con vosotros. Amén.', 'Titus 3:15');
      expect.fail('accepted a verse without a subscription');
    } catch (error) {
      expect(isSubflowError(error, 'CORPUS_BAD_LINE')).to.equal(true);
      expect((error as Error).message).to.contain('Titus 3:15');
    }
  });

  it('removes a Psalm 119 stanza letter, dotted or not, and nothing else', () => {
    expect(removeStanzaLetter('ALEPH. BIENAVENTURADOS los perfectos')).to.equal(
      'BIENAVENTURADOS los perfectos',
    );
    expect(removeStanzaLetter('BETH ¿Con qué limpiará')).to.equal('¿Con qué limpiará');
    expect(removeStanzaLetter('Haz bien á tu siervo')).to.equal('Haz bien á tu siervo');
  });
});
