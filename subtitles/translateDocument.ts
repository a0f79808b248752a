import { SubflowError } from '../errors.js';
import type { Cue, SubtitleDocument, SubtitleWarning } from './cue.js';
import { reflowText, type ReflowOptions } from './reflow.js';
import {
  SentenceSegmenter,
  splitTranslation,
  type Segment,
  type SegmentOptions,
  type SplitOptions,
} from './segment.js';
import type { AlignedTranslation } from './attentionSplit.js';
import { maskTags, type MaskedText } from './tags.js';
import { formatSrtTimestamp } from './timestamp.js';
import { isNonSpeech, joinUtterances, splitUtterances, type Utterance } from './utterances.js';

/**
 * Translating a subtitle document without RxJS or a model: `prepareCues` says what to translate,
 * the caller translates those units however it likes, and `assemble` builds the translated document.
 *
 *   cue text ─▶ speaker turns ─▶ mask tags ─▶ sentences across cues ─▶ units
 *   translations ─▶ split back over cues ─▶ restore tags ─▶ join turns ─▶ reflow
 *
 * N cues in, N cues out, every start and end time and every format field unchanged; non-speech cues
 * (and non-speech turns of a dialogue cue) are passed through untouched and never sent to the translator.
 */

/** Options for {@link prepareCues}. */
export interface PrepareCuesOptions extends SegmentOptions, ReflowOptions, SplitOptions {
  /** Merge consecutive cues into sentences before translating. Default true. */
  mergeSentences?: boolean;
  /** Receives a warning for each translated cue that does not fit the line limits. */
  onWarning?: (warning: SubtitleWarning) => void;
}

/** What to translate, and how to put the translations back. */
export interface PreparedCues {
  /** Plain-text units for the translator, in order (sentences, or single cues' turns). */
  units: string[];
  /** The segment behind each unit (which pieces it spans), for progress reports and debugging. */
  segments: Segment[];
  /**
   * Builds the translated document from one translation per unit, in the same order: its text, or
   * its text with word attention for `split: 'attention'`.
   */
  assemble(translations: readonly (string | AlignedTranslation)[]): SubtitleDocument;
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
 * const prepared = prepareCues(doc, { maxLineLength: 42 });
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

  return {
    units: segments.map((segment) => segment.text),
    segments,
    assemble(translations) {
      if (translations.length !== segments.length) {
        throw new SubflowError(
          'BAD_ARGUMENT',
          `got ${translations.length} translations for ${segments.length} units`,
          { hint: 'return exactly one translation per unit, in order' },
        );
      }
      const pieceText: string[] = new Array<string>(pieces.length).fill('');
      segments.forEach((segment, s) => {
        splitTranslation(segment, translations[s], options).forEach(
          (text, k) => (pieceText[segment.cueIndices[k]] = text),
        );
      });
      const cues = doc.cues.map((cue, c): Cue => {
        const plan = plans[c];
        if (!plan) return cue;
        const turns = plan.turns.map((turn, t) => {
          const id = plan.pieceOfTurn[t];
          return id === undefined ? turn : { dash: turn.dash, text: pieces[id].mask.restore(pieceText[id]) };
        });
        const reflowed = reflowText(joinUtterances(turns), options);
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

/** Translates a whole document with a batch translate function (units in, same number of strings out). */
export async function translateDocument(
  doc: SubtitleDocument,
  translateUnits: (units: string[]) => Promise<Array<string | AlignedTranslation>>,
  options: PrepareCuesOptions = {},
): Promise<SubtitleDocument> {
  const prepared = prepareCues(doc, options);
  return prepared.assemble(await translateUnits(prepared.units));
}
