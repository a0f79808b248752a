import { expect } from 'chai';
import { countWordCase, restoreChapterOpeningCase } from '../../../corpora/bible-es-en/chapterCase.js';

describe('corpora/bible-es-en restoreChapterOpeningCase', () => {
  const counts = countWordCase([
    'Y dijo Jehová á Moisés',
    'y después de esto',
    'el hombre Abraham',
    'Jehová es',
  ]);

  it('Titlecases the first word and lower-cases the rest of the run', () => {
    expect(restoreChapterOpeningCase('EN el principio crió Dios', counts)).to.equal(
      'En el principio crió Dios',
    );
    expect(restoreChapterOpeningCase('Y DESPUÉS movió el pueblo', counts)).to.equal(
      'Y después movió el pueblo',
    );
    expect(restoreChapterOpeningCase('DE DOCE años era Manasés', counts)).to.equal(
      'De doce años era Manasés',
    );
  });

  it('keeps proper nouns Titlecase, judged by the rest of the text', () => {
    expect(restoreChapterOpeningCase('Y JEHOVÁ habló', counts)).to.equal('Y Jehová habló');
    expect(restoreChapterOpeningCase('Y ABRAHAM dijo', counts)).to.equal('Y Abraham dijo');
  });

  it('finds the run after a psalm superscription and after opening punctuation', () => {
    expect(restoreChapterOpeningCase('Salmo de David. ¡OH Jehová, cuánto', counts)).to.equal(
      'Salmo de David. ¡Oh Jehová, cuánto',
    );
    expect(restoreChapterOpeningCase('¿CAZARÁS tú la presa?', counts)).to.equal('¿Cazarás tú la presa?');
  });

  it('changes only the first run and leaves text without one alone', () => {
    expect(restoreChapterOpeningCase('ESCRIBE al ángel en EFESO:', counts)).to.equal(
      'Escribe al ángel en EFESO:',
    );
    expect(restoreChapterOpeningCase('Y dijo Dios', counts)).to.equal('Y dijo Dios');
  });
});
