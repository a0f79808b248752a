/**
 * `npm run bench -- split [--beam 5] [--model DIR] [--corpus-split test|dev]`: how often splitting a
 * merged sentence's translation back over its cues puts the cut where it belongs, for the
 * proportional and the attention split. Prints one JSON line per set and method: the share of verses
 * split right after the clause comma (± 1 word), the share split exactly there, and the number of
 * verses used.
 *
 * The set comes from the bundled Bible corpus's test split (or dev, to check a change on verses it
 * was not looked at on): verses whose Spanish has exactly one comma (ending a word, as a clause
 * boundary does), cut into two cues at that comma, each cue fitting two 42-character lines as a real
 * cue would, timed at 15 characters a second; kept when the model's English translation also has
 * exactly one comma ending a word that is not the last (a closing quote may follow it), the clause
 * boundary on the English side. Set `one-comma` is that set, as issue 16 defines it. In it the English
 * comma is sometimes the translation of a semicolon or colon elsewhere in the Spanish, not of the
 * cue boundary ("discípulos: De cierto os digo, | que…" → "disciples, “Most certainly I tell you
 * that…"), so set `only-clause-mark` keeps the verses where the comma is the only , ; or : on both
 * sides. Both methods split the same translations, through the same `prepareCues` → `assemble` path
 * that `subflow translate` takes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { defaultModelDir } from '../model/defaultModel.js';
import { loadModel } from '../model/translationModel.js';
import { modelTranslator } from '../operators/translateCues.js';
import { packageRoot } from '../packageInfo.js';
import type { AlignedTranslation, SplitMethod } from '../subtitles/attentionSplit.js';
import type { SubtitleDocument } from '../subtitles/cue.js';
import { prepareCues } from '../subtitles/translateDocument.js';
import { peakRssMb, printFigure } from './_common.js';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

const beam = Number(flag('beam', '5'));
const modelDir = flag('model', defaultModelDir());
const corpusSplit = flag('corpus-split', 'test');
const CUE_CHARS = 2 * 42;
const CHARS_PER_SECOND = 15;
const TOLERANCE_WORDS = 1;

const corpus = join(packageRoot(), 'corpora', 'bible-es-en');
if (!['test', 'dev'].includes(corpusSplit)) {
  process.stderr.write(`split: --corpus-split is test or dev, not ${corpusSplit}\n`);
  process.exit(2);
}
const corpusVerses = gunzipSync(readFileSync(join(corpus, `${corpusSplit}.es.gz`)))
  .toString('utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter(Boolean);

/** The verse as two cues cut after its only comma, or undefined when it is not one of the set. */
function twoCues(verse: string): SubtitleDocument | undefined {
  if (verse.split(',').length !== 2) return undefined;
  const match = /^(.*,)\s+(\S.*)$/.exec(verse);
  if (!match) return undefined;
  const [, first, second] = match;
  if (first.length > CUE_CHARS || second.length > CUE_CHARS) return undefined;
  const duration = (text: string) => Math.max(1200, Math.round((text.length / CHARS_PER_SECOND) * 1000));
  const firstEnd = 1000 + duration(first);
  return {
    format: 'srt',
    cues: [
      { start: 1000, end: firstEnd, text: first },
      { start: firstEnd + 200, end: firstEnd + 200 + duration(second), text: second },
    ],
  };
}

/** Words before the cut that belongs after the only comma of `english`, or undefined when there is none. */
function commaCut(english: string): number | undefined {
  const words = english.trim().split(/\s+/);
  if (english.split(',').length !== 2) return undefined;
  const at = words.findIndex((word) => /,["'”’»)]*$/u.test(word));
  return at >= 0 && at < words.length - 1 ? at + 1 : undefined;
}

/** True when the comma is the only clause mark (, ; :) of the text. */
const commaOnly = (text: string): boolean => (text.match(/[,;:]/g) ?? []).length === 1;

async function bench(): Promise<void> {
  const documents = corpusVerses.map(twoCues).filter((doc) => doc !== undefined);
  // Both cues merge into one sentence unless the verse has a sentence end before its comma.
  const merged = documents.filter((doc) => prepareCues(doc).units.length === 1);
  const translationModel = await loadModel(modelDir, { backend: 'auto' });
  process.stderr.write(`split: ${translationModel.backend.reason}; ${merged.length} verses to translate\n`);
  const started = performance.now();
  const translations = (await modelTranslator(translationModel, { beam, alignments: true })(
    merged.map((doc) => prepareCues(doc).units[0]),
  )) as AlignedTranslation[];
  const seconds = (performance.now() - started) / 1000;
  translationModel.dispose();

  const used = merged.flatMap((doc, i) => {
    const cut = commaCut(translations[i].text);
    const spanish = doc.cues.map((cue) => cue.text).join(' ');
    const clean = commaOnly(spanish) && commaOnly(translations[i].text);
    return cut === undefined ? [] : [{ doc, translation: translations[i], cut, clean }];
  });
  const sets = { 'one-comma': used, 'only-clause-mark': used.filter((verse) => verse.clean) };
  for (const [set, verses] of Object.entries(sets)) {
    for (const method of ['proportional', 'attention'] satisfies SplitMethod[]) {
      let right = 0;
      let exact = 0;
      for (const { doc, translation, cut } of verses) {
        const cues = prepareCues(doc, { split: method }).assemble([translation]).cues;
        const firstWords = cues[0].text.split(/\s+/).filter(Boolean).length;
        if (Math.abs(firstWords - cut) <= TOLERANCE_WORDS) right += 1;
        if (firstWords === cut) exact += 1;
      }
      const share = (count: number) => Math.round((count / Math.max(verses.length, 1)) * 10_000) / 10_000;
      printFigure({
        bench: 'split',
        set,
        corpus_split: corpusSplit,
        method,
        model: modelDir,
        backend: translationModel.backend.name,
        beam,
        verses: verses.length,
        right_after_comma: right,
        share: share(right),
        tolerance_words: TOLERANCE_WORDS,
        exactly_after_comma: exact,
        exact_share: share(exact),
        translate_s: Math.round(seconds * 10) / 10,
        peak_rss_mb: peakRssMb(),
      });
    }
  }
}

await bench();
