import { SubflowError } from '../../errors.js';

/**
 * Letters whose last verse the Reina-Valera 1909 extends with a subscription that is not part of the
 * text (`… Amén. Fué escrita de Corinto á los Romanos, enviada por medio de Febe …`). Hebrews has one
 * too, so it is listed although its authorship is disputed.
 */
export const LETTERS_WITH_SUBSCRIPTION: readonly string[] = [
  'Romans',
  'I Corinthians',
  'II Corinthians',
  'Galatians',
  'Ephesians',
  'Philippians',
  'Colossians',
  'I Thessalonians',
  'II Thessalonians',
  'I Timothy',
  'II Timothy',
  'Titus',
  'Philemon',
  'Hebrews',
];

const SUBSCRIPTION = /^(.*\bAmén\.)\s+(.*\b(?:escrita|enviada)\b.*)$/isu;

/**
 * Cuts the subscription note after the final `Amén.` of a letter's last verse.
 * @returns the verse without the note, and the note removed
 * @throws SubflowError CORPUS_BAD_LINE when the verse does not end in a recognisable subscription,
 *   which means the module changed and the rule must be revisited.
 */
export function removeSubscription(verse: string, where: string): { text: string; removed: string } {
  const match = SUBSCRIPTION.exec(verse);
  if (!match) {
    throw new SubflowError('CORPUS_BAD_LINE', `${where} does not end with the expected subscription note`, {
      hint: 'the SWORD module differs from the one the corpus was built from; update corpora/bible-es-en/verseFixes.ts',
    });
  }
  return { text: match[1], removed: match[2] };
}

/**
 * Psalm 119 opens each eight-verse stanza with a Hebrew letter's name (`ALEPH.`, `BETH`); both modules
 * keep it in the verse text, spelled differently (`LAMED` / `LAMEDH`). It is a heading, not a
 * translation, so it is removed from both sides.
 */
export function removeStanzaLetter(verse: string): string {
  return verse.replace(/^\p{Lu}{2,}\.?\s+/u, '');
}

/**
 * Verses the English module numbers differently from the Spanish one, as [book, chapter, verse a,
 * verse b] pairs to swap on the English side: the WEB prints Matthew 23:13 and 23:14 in the other order
 * (its footnote: "Some Greek texts reverse the order of verses 13 and 14").
 */
export const ENGLISH_SWAPPED_VERSES: readonly [string, number, number, number][] = [['Matthew', 23, 13, 14]];
