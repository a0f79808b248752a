import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { splitLongText } from '../../text/splitLongText.js';
import { Tokenizer } from '../../text/tokenizer.js';

/** One piece per whitespace-separated word: enough to check where the cuts fall. */
const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;
/** One piece per character, whitespace not counted: stands in for a script written without spaces. */
const characters = (text: string): number => text.replace(/\s+/g, '').length;

describe('text/splitLongText', () => {
  it('returns text within the limit as one part', () => {
    expect(splitLongText('Hola, mundo. ¿Qué tal?', 10, words)).to.deep.equal(['Hola, mundo. ¿Qué tal?']);
    expect(splitLongText('', 3, words)).to.deep.equal(['']);
  });

  it('cuts an over-long text at sentence ends first, one sentence per part', () => {
    const text = 'Uno dos tres. ¿Cuatro cinco? ¡Seis siete! Ocho nueve diez.';
    expect(splitLongText(text, 5, words)).to.deep.equal([
      'Uno dos tres. ',
      '¿Cuatro cinco? ',
      '¡Seis siete! ',
      'Ocho nueve diez.',
    ]);
  });

  it('keeps closing quotes and brackets with their sentence', () => {
    const text = '«Ven aquí.» Y él vino. (Luego se fue.) Fin del cuento.';
    expect(splitLongText(text, 5, words)).to.deep.equal([
      '«Ven aquí.» ',
      'Y él vino. ',
      '(Luego se fue.) ',
      'Fin del cuento.',
    ]);
  });

  it('cuts an over-long sentence at clause punctuation, packing clauses up to the limit', () => {
    const text = 'uno dos, tres cuatro; cinco seis: siete ocho — nueve diez, once doce.';
    const parts = splitLongText(text, 5, words);
    expect(parts.join('')).to.equal(text);
    expect(parts).to.deep.equal([
      'uno dos, tres cuatro; ',
      'cinco seis: siete ocho — ',
      'nueve diez, once doce.',
    ]);
  });

  it('cuts a run without punctuation between words, in parts of similar size', () => {
    const text = Array.from({ length: 23 }, (_, i) => `w${i}`).join(' ');
    const parts = splitLongText(text, 10, words);
    expect(parts.join('')).to.equal(text);
    expect(parts.map(words)).to.deep.equal([8, 8, 7]);
  });

  it('cuts a word longer than the limit between characters', () => {
    const text = 'abcdefghijklmnopqrstuvwxy';
    const parts = splitLongText(text, 10, characters);
    expect(parts.join('')).to.equal(text);
    for (const part of parts) expect(characters(part)).to.be.at.most(10);
    expect(parts).to.have.length(3);
  });

  it('cuts text without spaces after its own sentence marks', () => {
    const text = '我们走吧。你好吗？我很好！';
    expect(splitLongText(text, 5, characters)).to.deep.equal(['我们走吧。', '你好吗？', '我很好！']);
  });

  it('never loses or reorders text, and every part fits (random texts)', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const vocabulary = ['la', 'casa,', 'del', 'rey.', 'dijo:', '¿quién?', '—', 'y', 'muy;', 'larga…', '¡ah!'];
    for (let round = 0; round < 50; round++) {
      const text = Array.from({ length: 1 + random(80) }, () => vocabulary[random(vocabulary.length)]).join(
        random(2) ? ' ' : '  ',
      );
      const limit = 1 + random(12);
      const parts = splitLongText(text, limit, words);
      expect(parts.join('')).to.equal(text);
      for (const part of parts) expect(words(part)).to.be.at.most(limit);
      expect(parts.every((part) => part.trim() !== '') || parts.length === 1).to.equal(true);
    }
  });

  it('keeps every part within the limit of a real SentencePiece model', async () => {
    const tokenizer = await Tokenizer.load(
      fileURLToPath(new URL('../../models/bible-es-en/source.model', import.meta.url)),
    );
    const count = (text: string) => tokenizer.encode(text).length;
    const sentence =
      'Y dijo Dios: Sea la luz, y fue la luz; y vio Dios que la luz era buena, y separó la luz de las tinieblas. ';
    const text = sentence.repeat(40) + 'palabrasinespaciosniningunapausa'.repeat(30);
    for (const limit of [7, 25, 250]) {
      const parts = splitLongText(text, limit, count);
      expect(parts.join('')).to.equal(text);
      for (const part of parts) expect(count(part), part).to.be.at.most(limit);
    }
  });
});
