import { SubflowError } from '../errors.js';
import type { Cue, SubtitleDocument, SubtitleWarning } from './cue.js';
import { reflowCueText, type ReflowOptions } from './reflow.js';
import {
  SentenceSegmenter,
  splitTranslation,
  type Segment,
  type SegmentOptions,
  type SplitOptions,
} from './segment.js';
import type { AlignedTranslation } from './attentionSplit.js';
import { maskTags, type MaskedText } from './tags.js';
import { matchSourceQuotes } from './quotes.js';
import { formatSrtTimestamp } from './timestamp.js';
import { isNonSpeech, joinUtterances, splitUtterances, type Utterance } from './utterances.js';

/**
 * Translating a subtitle document without RxJS or a model: `prepareCues` says what to translate,
 * the caller translates those units however it likes, and `assemble` builds the translated document.
 *
 *   cue text ─▶ speaker turns ─▶ mask tags ─▶ sentences across cues ─▶ units
 *   translations ─▶ quotes the unit lacks dropped ─▶ split back over cues ─▶ restore tags ─▶ join turns ─▶ reflow (reflowCueText)
 *
 * N cues in, N cues out, every start and end time and every format field unchanged; non-speech cues
 * (and non-speech turns of a dialogue cue) are passed through untouched and never sent to the translator.
 * No cue with words in the source comes out without words: a sentence over several cues whose
 * translation has too few words to give each cue one is translated again cue by cue (`resplit`), and
 * a cue whose translation still has none keeps its source text, with a warning.
 */

/** The text of a unit's translation, with or without its word attention. */
function textOf(translation: string | AlignedTranslation): string {
  return typeof translation === 'string' ? translation : translation.text;
}

/** True when `text` has a letter or a digit: something a reader would miss. */
function hasWords(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

/** Options for {@link prepareCues}. */
export interface PrepareCuesOptions extends SegmentOptions, ReflowOptions, SplitOptions {
  /** Merge consecutive cues into sentences before translating. Default true. */
  mergeSentences?: boolean;
  /** Receives a warning for each translated cue that does not fit the line limits or kept its source text. */
  onWarning?: (warning: SubtitleWarning) => void;
}

/** What to translate, and how to put the translations back. */
export interface PreparedCues {
  /** Plain-text units for the translator, in order (sentences, or single cues' turns). */
  units: string[];
  /** The segment behind each unit (which pieces it spans), for progress reports and debugging. */
  segments: Segment[];
  /**
   * The cues to translate again one by one, given the units' translations: those of a sentence over
   * several cues whose translation has too few words to give each cue one (`hola` + `Adiós.` →
   * `Farewell.`). Usually none. Their translations go to `assemble` as `resplitTranslations`.
   */
  resplit(translations: readonly (string | AlignedTranslation)[]): string[];
  /**
   * Builds the translated document from one translation per unit, in the same order (its text, or
   * its text with word attention for `split: 'attention'`), and the
   * translations of `resplit(translations)` if any. A cue whose source has words but whose
   * translation has none keeps its source text, with a warning.
   */
  assemble(
    translations: readonly (string | AlignedTranslation)[],
    resplitTranslations?: readonly (string | AlignedTranslation)[],
  ): SubtitleDocument;
}

/** A translatable turn of a cue. */
interface Piece {
  cue: number;
  turn: number;
  mask: MaskedText;
}

interface CuePlan {
  turns: Utterance[];
  /** Piece id per turn, or undefined for a turn that passes through (non-speech, empty). */
  pieceOfTurn: Array<number | undefined>;
}

/**
 * Splits a document into translation units; see the module comment. Any translator can drive it:
 *
 * @example
 * const prepared = prepareCues(doc, { maxLineLength: 32 });
 * // with a batch function …
 * const translated = prepared.assemble(await translateBatch(prepared.units));
 * // … or with the RxJS `translate` stage, which keeps order
 * from(prepared.units).pipe(translate(model), map((t) => t.text), toArray(), map(prepared.assemble));
 */
export function prepareCues(doc: SubtitleDocument, options: PrepareCuesOptions = {}): PreparedCues {
  const merge = options.mergeSentences ?? true;
  const segmenter = new SentenceSegmenter(options);
  const pieces: Piece[] = [];
  const segments: Segment[] = [];
  const plans: Array<CuePlan | undefined> = doc.cues.map((cue, c) => {
    if (isNonSpeech(cue.text)) {
      segments.push(...segmenter.flush()); // no sentence runs across a sound or a song
      return undefined;
    }
    const turns = splitUtterances(cue.text);
    const dialogue = turns.length > 1 || turns[0].dash !== '';
    const pieceOfTurn = turns.map((turn, t) => {
      if (isNonSpeech(turn.text)) return undefined;
      const mask = maskTags(turn.text, { entities: doc.format === 'vtt' });
      if (mask.plain === '') return undefined;
      const id = pieces.push({ cue: c, turn: t, mask }) - 1;
      const item = {
        index: id,
        start: cue.start,
        end: cue.end,
        text: mask.plain,
        standalone: dialogue || !merge,
      };
      segments.push(...segmenter.push(item));
      return id;
    });
    return { turns, pieceOfTurn };
  });
  segments.push(...segmenter.flush());

  /** A piece's translation has words, or is as wordless as its source (`...`) without being empty. */
  const fits = (id: number, text: string): boolean =>
    hasWords(text) || (text.trim() !== '' && !hasWords(pieces[id].mask.plain));
  /** Each unit's translation without the quotes its source lacks, split over the unit's pieces. */
  const split = (translations: readonly (string | AlignedTranslation)[]) => {
    if (translations.length !== segments.length) {
      throw new SubflowError(
        'BAD_ARGUMENT',
        `got ${translations.length} translations for ${segments.length} units`,
        { hint: 'return exactly one translation per unit, in order' },
      );
    }
    return segments.map((segment, s) => {
      const given = translations[s];
      const translation = matchSourceQuotes(segment.text, textOf(given));
      // The attention split checks that the text's words still match the attention's; it falls back
      // to splitting by length when dropping a quote changed their number.
      const aligned = typeof given === 'string' ? translation : { ...given, text: translation };
      return { translation, parts: splitTranslation(segment, aligned, options) };
    });
  };
  /** Pieces of the multi-cue units whose translation leaves one of their cues without words. */
  const piecesToResplit = (splits: ReturnType<typeof split>): number[] =>
    segments.flatMap((segment, s) => {
      const { parts } = splits[s];
      const short = parts.some((text, k) => !fits(segment.cueIndices[k], text));
      return segment.cueIndices.length > 1 && short ? segment.cueIndices : [];
    });

  return {
    units: segments.map((segment) => segment.text),
    segments,
    resplit(translations) {
      return piecesToResplit(split(translations)).map((id) => pieces[id].mask.plain);
    },
    assemble(translations, resplitTranslations = []) {
      const splits = split(translations);
      const resplitIds = resplitTranslations.length > 0 ? piecesToResplit(splits) : [];
      if (resplitTranslations.length !== resplitIds.length) {
        throw new SubflowError(
          'BAD_ARGUMENT',
          `got ${resplitTranslations.length} translations for ${resplitIds.length} re-split units`,
          { hint: 'translate exactly the units resplit(translations) returns, in order' },
        );
      }
      const alone = new Map(
        resplitIds.map((id, k) => [
          id,
          matchSourceQuotes(pieces[id].mask.plain, textOf(resplitTranslations[k])),
        ]),
      );
      const pieceText: string[] = new Array<string>(pieces.length).fill('');
      segments.forEach((segment, s) => {
        const { translation, parts } = splits[s];
        segment.cueIndices.forEach((id, k) => {
          const own = alone.get(id);
          const text = own ?? parts[k];
          if (fits(id, text)) {
            pieceText[id] = text;
            return;
          }
          // A model can end a sentence before its first word, and an empty cue vanishes from a
          // muxed track: the source text is better than nothing.
          const { cue, mask } = pieces[id];
          pieceText[id] = mask.plain;
          const why =
            own !== undefined || !hasWords(translation)
              ? `no translation for "${mask.plain}"`
              : `the translation of "${segment.text}" ("${translation}") has too few words for its ${segment.cueIndices.length} cues`;
          options.onWarning?.({
            message: `cue ${cue + 1} at ${formatSrtTimestamp(doc.cues[cue].start)}: ${why}; the source text was kept`,
          });
        });
      });
      const cues = doc.cues.map((cue, c): Cue => {
        const plan = plans[c];
        if (!plan) return cue;
        const turns = plan.turns.map((turn, t) => {
          const id = plan.pieceOfTurn[t];
          return id === undefined ? turn : { dash: turn.dash, text: pieces[id].mask.restore(pieceText[id]) };
        });
        const reflowed = reflowCueText(joinUtterances(turns), options);
        if (reflowed.warning) {
          options.onWarning?.({
            message: `cue ${c + 1} at ${formatSrtTimestamp(cue.start)}: ${reflowed.warning}`,
          });
        }
        return { ...cue, text: reflowed.text };
      });
      return { ...doc, cues };
    },
  };
}

/**
 * Translates a whole document with a batch translate function (units in, same number of strings
 * out): the units, then, if a sentence's translation cannot cover its cues, those cues one by one.
 */
export async function translateDocument(
  doc: SubtitleDocument,
  translateUnits: (units: string[]) => Promise<Array<string | AlignedTranslation>>,
  options: PrepareCuesOptions = {},
): Promise<SubtitleDocument> {
  const prepared = prepareCues(doc, options);
  const translations = await translateUnits(prepared.units);
  const resplit = prepared.resplit(translations);
  return prepared.assemble(translations, resplit.length > 0 ? await translateUnits(resplit) : []);
}
