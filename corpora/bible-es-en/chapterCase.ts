/**
 * The Reina-Valera prints each chapter's first word or words in capitals (`Y DESPUÉS movió el pueblo`,
 * `DE DOCE años era Manasés`). A model trained on that would learn capitals after verse numbers that
 * users never type, so the run is put back in normal case: the first word Titlecase, the others lower
 * case unless the word is a proper noun, judged by how the rest of the text writes it.
 */

const WORD = /\p{L}+/gu;
const ALL_CAPS = /^\p{Lu}+$/u;

/** How often each word is written Titlecase and lower case, keyed by its lower-case form. */
export type WordCaseCounts = Map<string, { title: number; lower: number }>;

/** Counts Titlecase and lower-case spellings of every word in `texts`. */
export function countWordCase(texts: Iterable<string>): WordCaseCounts {
  const counts: WordCaseCounts = new Map();
  for (const text of texts) {
    for (const [word] of text.matchAll(WORD)) {
      const lower = word.toLowerCase();
      let kind: 'title' | 'lower' | undefined;
      if (word === lower) kind = 'lower';
      else if (word === titleCase(word)) kind = 'title';
      if (!kind) continue;
      const entry = counts.get(lower) ?? { title: 0, lower: 0 };
      entry[kind]++;
      counts.set(lower, entry);
    }
  }
  return counts;
}

/** `DESPUÉS` → `Después`. */
export function titleCase(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
}

/**
 * Rewrites the first run of capitalised words in a chapter's opening verse. The run starts at the
 * first word of two or more capitals, takes in a one-letter capital word just before it (`Y DESPUÉS`)
 * and continues over capitalised words separated by single spaces. Text without such a run is
 * returned unchanged, so the function is safe on any verse.
 */
export function restoreChapterOpeningCase(text: string, counts: WordCaseCounts): string {
  const words = [...text.matchAll(WORD)].map((m) => ({
    word: m[0],
    start: m.index,
    end: m.index + m[0].length,
  }));
  let first = words.findIndex((w) => w.word.length >= 2 && ALL_CAPS.test(w.word));
  if (first < 0) return text;
  const joinedBySpace = (a: number, b: number): boolean => text.slice(words[a].end, words[b].start) === ' ';
  if (first > 0 && words[first - 1].word.length === 1 && ALL_CAPS.test(words[first - 1].word)) {
    if (joinedBySpace(first - 1, first)) first--;
  }
  let last = first;
  while (last + 1 < words.length && ALL_CAPS.test(words[last + 1].word) && joinedBySpace(last, last + 1))
    last++;
  let out = text.slice(0, words[first].start);
  for (let i = first; i <= last; i++) {
    const { word } = words[i];
    out += i === first ? titleCase(word) : normalCase(word, counts);
    out += text.slice(words[i].end, i < last ? words[i + 1].start : words[i].end);
  }
  return out + text.slice(words[last].end);
}

/** Lower case, or Titlecase for a word the text mostly writes Titlecase (`JEHOVÁ` → `Jehová`). */
function normalCase(word: string, counts: WordCaseCounts): string {
  const seen = counts.get(word.toLowerCase());
  return seen && seen.title > seen.lower ? titleCase(word) : word.toLowerCase();
}
