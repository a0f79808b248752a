import { fileURLToPath } from 'node:url';
import { readLines } from '../../text/lines.js';

/** The bundled model's folder. */
export const BUNDLED_MODEL = fileURLToPath(new URL('../../models/bible-es-en', import.meta.url));

const corpus = (name: string) => fileURLToPath(new URL(`../../corpora/bible-es-en/${name}`, import.meta.url));

/**
 * The first `count` verses of the bundled training split with at most `maxWords` Spanish words that
 * end a sentence (`.`, `?`, `!`), with their English references: real text the bundled model knows.
 */
export async function shortVerses(count: number, maxWords: number): Promise<{ es: string[]; en: string[] }> {
  const es: string[] = [];
  const en: string[] = [];
  const english = readLines(corpus('train.en.gz'));
  for await (const line of readLines(corpus('train.es.gz'))) {
    const reference = (await english.next()).value!.text;
    const text = line.text.trim();
    if (text.split(/\s+/).length > maxWords || !/[.?!]$/.test(text)) continue;
    es.push(text);
    en.push(reference);
    if (es.length === count) break;
  }
  await english.return(undefined);
  return { es, en };
}

/**
 * Words in the longest back-to-back repetition of one phrase of 1–12 words ("the father of Mahalel.
 * the father of Mahalel. …"): a decoding loop gives hundreds, a model's small stutter a few.
 */
export function longestLoop(text: string): number {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  let longest = 0;
  for (let n = 1; n <= 12; n++) {
    // Positions where the phrase starting here repeats n words later, counted in runs.
    let run = 0;
    for (let start = 0; start + 2 * n <= words.length; start++) {
      run = words[start] === words[start + n] ? run + 1 : 0;
      // run ≥ n means the n words from start−run+1 repeat: run + n words are covered by repeats.
      if (run >= n) longest = Math.max(longest, run + n);
    }
  }
  return longest;
}
