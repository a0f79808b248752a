import { countWordCase, restoreChapterOpeningCase } from './chapterCase.js';
import { osisToText, spanishCliticJoin } from './osisText.js';
import { type RawVerse, verseKey } from './swordModule.js';
import {
  ENGLISH_SWAPPED_VERSES,
  LETTERS_WITH_SUBSCRIPTION,
  removeStanzaLetter,
  removeSubscription,
} from './verseFixes.js';
import { alignChapters, type ChapterLengths, type ShiftedChapter, shiftedChapter } from './verseShifts.js';

/** One kept verse pair, in canonical order. */
export interface VersePair {
  /** `Book C:V`, e.g. `I Samuel 24:3`. */
  key: string;
  es: string;
  en: string;
}

/** Why verses were left out, with counts, so the manifest can account for every verse. */
export interface AlignmentReport {
  /** Chapters dropped whole because their verse numbers are shifted between the modules. */
  shiftedChapters: ShiftedChapter[];
  /** Verses dropped per reason (only verses with text on at least one side are counted). */
  droppedVerses: Record<DropReason, number>;
  /** Subscription notes cut from the Spanish letters, by book. */
  removedSubscriptions: Record<string, string>;
}

/** Reasons a verse is left out. */
export type DropReason =
  | 'shiftedChapter'
  | 'oneSided'
  | 'nextToOneSided'
  | 'lengthRatio'
  | 'boundaryShift'
  | 'duplicate'
  | 'bookOnlyInEnglish';

/**
 * Length ratio beyond which a pair is taken to be misaligned (a verse boundary placed differently, a
 * clause moved to the next verse): |z| of log(es/en length) above this many robust standard deviations.
 */
export const MAX_LENGTH_RATIO_Z = 4;

/**
 * The lower bar for a verse that the chapter's cheapest alignment puts on a locally shifted stretch
 * (a clause moved across a verse boundary, Judges 14:18–19) in a chapter that is not dropped whole.
 */
export const MAX_SHIFTED_LENGTH_RATIO_Z = 2.5;

/**
 * Pairs the verses of the Spanish and English modules by reference after cleaning both, and leaves out
 * every verse whose pairing is doubtful. See README.md for the reasons in full.
 */
export function alignVerses(
  spanish: readonly RawVerse[],
  english: readonly RawVerse[],
): { pairs: VersePair[]; report: AlignmentReport } {
  const es = spanishTexts(spanish);
  const en = englishTexts(english);

  const chapters = chapterVerseCounts(spanish, english);
  const lengths: ChapterLengths[] = [...chapters].map(([chapter, count]) => ({
    chapter,
    source: verseLengths(es.texts, chapter, count),
    target: verseLengths(en, chapter, count),
  }));
  const { stats, alignments } = alignChapters(lengths);
  const shiftedChapters = alignments.flatMap((a) => shiftedChapter(a) ?? []);
  const shifted = new Set(shiftedChapters.map((c) => c.chapter));
  const pathOf = new Map(alignments.map((a) => [a.chapter, a.path]));

  const dropped: Record<DropReason, number> = {
    shiftedChapter: 0,
    oneSided: 0,
    nextToOneSided: 0,
    lengthRatio: 0,
    boundaryShift: 0,
    duplicate: 0,
    bookOnlyInEnglish: 0,
  };
  const spanishBooks = new Set(spanish.map((v) => v.book));
  for (const v of english) if (!spanishBooks.has(v.book) && osisToText(v.markup)) dropped.bookOnlyInEnglish++;

  const pairs: VersePair[] = [];
  const seen = new Set<string>();
  for (const [chapter, count] of chapters) {
    const has = (texts: Map<string, string>, verse: number): boolean => !!texts.get(`${chapter}:${verse}`);
    const oneSided = (verse: number): boolean => has(es.texts, verse) !== has(en, verse);
    for (let verse = 1; verse <= count; verse++) {
      const key = `${chapter}:${verse}`;
      const esText = es.texts.get(key) ?? '';
      const enText = en.get(key) ?? '';
      if (!esText && !enText) continue;
      // |z| of the log length ratio: how unusual this pair's lengths are for a translation pair
      // (infinite when a side is empty, but those verses are dropped as one-sided first).
      const z = Math.abs((Math.log(esText.length / enText.length) - stats.mean) / stats.sd);
      let reason: DropReason | undefined;
      if (shifted.has(chapter)) reason = 'shiftedChapter';
      else if (oneSided(verse)) reason = 'oneSided';
      else if (oneSided(verse - 1) || oneSided(verse + 1)) reason = 'nextToOneSided';
      else if (z > MAX_LENGTH_RATIO_Z) reason = 'lengthRatio';
      else if (z > MAX_SHIFTED_LENGTH_RATIO_Z && pathOf.get(chapter)?.[verse]) reason = 'boundaryShift';
      else if (seen.has(`${esText}\t${enText}`)) reason = 'duplicate';
      if (reason) {
        dropped[reason]++;
        continue;
      }
      seen.add(`${esText}\t${enText}`);
      pairs.push({ key, es: esText, en: enText });
    }
  }
  return {
    pairs,
    report: { shiftedChapters, droppedVerses: dropped, removedSubscriptions: es.subscriptions },
  };
}

/** English verse texts after markup stripping, with the verses the WEB orders differently put back. */
function englishTexts(english: readonly RawVerse[]): Map<string, string> {
  const texts = new Map(english.map((v) => [verseKey(v.book, v.chapter, v.verse), osisToText(v.markup)]));
  for (const [book, chapter, a, b] of ENGLISH_SWAPPED_VERSES) {
    const keyA = verseKey(book, chapter, a);
    const keyB = verseKey(book, chapter, b);
    const textA = texts.get(keyA) ?? '';
    texts.set(keyA, texts.get(keyB) ?? '');
    texts.set(keyB, textA);
  }
  for (const [key, text] of texts)
    if (key.startsWith('Psalms 119:')) texts.set(key, removeStanzaLetter(text));
  return texts;
}

/** Spanish verse texts after markup stripping, subscription removal and chapter-opening case repair. */
function spanishTexts(spanish: readonly RawVerse[]): {
  texts: Map<string, string>;
  subscriptions: Record<string, string>;
} {
  // A first pass with spaces at every junction gives the vocabulary that decides which words the
  // markup split (`sáca|lo`) should be joined again.
  const knownWords = new Set<string>();
  for (const v of spanish) {
    for (const [word] of osisToText(v.markup).matchAll(/\p{L}+/gu)) knownWords.add(word.toLowerCase());
  }
  const join = spanishCliticJoin(knownWords);
  const texts = new Map(
    spanish.map((v) => [verseKey(v.book, v.chapter, v.verse), osisToText(v.markup, join)]),
  );
  // Before the case repair, or Psalm 119's `ALEPH.` would be taken for the chapter's capitalised opening.
  for (const [key, text] of texts)
    if (key.startsWith('Psalms 119:')) texts.set(key, removeStanzaLetter(text));

  const subscriptions: Record<string, string> = {};
  for (const book of LETTERS_WITH_SUBSCRIPTION) {
    const last = spanish
      .filter((v) => v.book === book && texts.get(verseKey(v.book, v.chapter, v.verse)))
      .at(-1);
    if (!last) continue;
    const key = verseKey(last.book, last.chapter, last.verse);
    const { text, removed } = removeSubscription(texts.get(key) ?? '', key);
    texts.set(key, text);
    subscriptions[book] = removed;
  }

  const counts = countWordCase(texts.values());
  const openingDone = new Set<string>();
  for (const v of spanish) {
    const chapter = `${v.book} ${v.chapter}`;
    const key = verseKey(v.book, v.chapter, v.verse);
    const text = texts.get(key);
    if (!text || openingDone.has(chapter)) continue;
    openingDone.add(chapter);
    texts.set(key, restoreChapterOpeningCase(text, counts));
  }
  return { texts, subscriptions };
}

/** `Book C` → highest verse number either module has in it, for chapters of books both modules have. */
function chapterVerseCounts(spanish: readonly RawVerse[], english: readonly RawVerse[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of spanish) {
    const chapter = `${v.book} ${v.chapter}`;
    counts.set(chapter, Math.max(counts.get(chapter) ?? 0, v.verse));
  }
  for (const v of english) {
    const chapter = `${v.book} ${v.chapter}`;
    const count = counts.get(chapter);
    if (count !== undefined) counts.set(chapter, Math.max(count, v.verse));
  }
  return counts;
}

function verseLengths(texts: Map<string, string>, chapter: string, count: number): number[] {
  return Array.from({ length: count + 1 }, (_, verse) =>
    verse === 0 ? 0 : (texts.get(`${chapter}:${verse}`) ?? '').length,
  );
}
