import { SubflowError } from '../errors.js';
import { search } from './search.js';
import {
  resolveSearchOptions,
  SEARCH_DEFAULTS,
  type Hypothesis,
  type SearchOptions,
} from './searchInternals.js';
import { UNK_ID, withEos, type Translation } from '../types.js';
import { splitLongText } from '../text/splitLongText.js';
import { EOS_PIECE } from '../text/wordAlignment.js';
import type { TranslationModel } from './translationModel.js';

/** Something odd about one input sentence that did not stop the translation. */
export interface TranslationWarning {
  /** 0-based position of the sentence in the input. */
  index: number;
  /** What happened, without the position (e.g. "250 of its 412 tokens were translated"). */
  message: string;
}

/**
 * Defaults of {@link translateSentences}: the search's ({@link SEARCH_DEFAULTS}) plus batching and
 * input limits. Flags, config schemas and help texts read them from here.
 */
export const TRANSLATE_DEFAULTS = Object.freeze({
  ...SEARCH_DEFAULTS,
  batchSize: 64,
  maxTokens: 4000,
  maxSourceLength: 250,
  replaceUnk: false,
});

/** Options of {@link translateSentences}: search options plus batching and input limits (defaults in TRANSLATE_DEFAULTS). */
export interface TranslateOptions extends SearchOptions {
  /** Most sentences decoded together. */
  batchSize?: number;
  /** Most source tokens per batch, padding included (sentences are batched by length). */
  maxTokens?: number;
  /**
   * Longest source, in tokens, decoded in one piece: a longer one is cut into parts at most this long
   * (sentence ends, then clause punctuation, then words; see text/splitLongText.ts), each decoded
   * under its own output limit, and their translations are joined (with a warning).
   */
  maxSourceLength?: number;
  /** Replace `<unk>` in the output with the source piece the model attended to most. */
  replaceUnk?: boolean;
  /** Receives a warning per sentence translated in parts. Default: none. */
  onWarning?: (warning: TranslationWarning) => void;
  /** Stops between batches with SubflowError INTERRUPTED. */
  signal?: AbortSignal;
}

/** The decoding settings a front end exposes (CLI flags, config keys, job options): search and batching. */
const DECODING_SETTING_KEYS = [
  'beam',
  'nBest',
  'alpha',
  'maxLengthRatio',
  'maxLengthConstant',
  'minLength',
  'batchSize',
  'maxTokens',
  'maxSourceLength',
  'replaceUnk',
] as const;

/** See DECODING_SETTING_KEYS. */
export type DecodingSettings = Pick<TranslateOptions, (typeof DECODING_SETTING_KEYS)[number]>;

/** Only the decoding settings of a larger object (parsed flags, job options); unset ones stay unset. */
export function decodingSettingsOf(options: DecodingSettings): DecodingSettings {
  const settings: Record<string, unknown> = {};
  for (const key of DECODING_SETTING_KEYS) if (options[key] !== undefined) settings[key] = options[key];
  return settings as DecodingSettings;
}

/** A sentence, or one part of an over-long one, ready for the model. */
interface PreparedSource {
  index: number;
  /** Position among the parts of its sentence (0 for a sentence decoded whole). */
  part: number;
  ids: Int32Array;
  /** Source pieces, kept only for `replaceUnk` and `returnAttention`. */
  pieces?: string[];
}

/** An over-long sentence cut into parts, and their hypotheses as they are decoded. */
interface SplitSentence {
  parts: PreparedSource[];
  /** Whether whitespace followed part k in the source, so its translation is joined with a space. */
  spaced: boolean[];
  hypotheses: Hypothesis[][];
}

/**
 * Translates sentences with a loaded model: encodes them, decodes batches of similar length under
 * the token budget (beam search, or greedy for beam 1) and returns one Translation per input in
 * input order. An empty (or all-whitespace) line gives an empty translation without touching the
 * model. A line over `maxSourceLength` tokens is cut into parts under it (see `splitLongText`), each
 * decoded as a sentence of its own, batched with the rest, under its own 2·len+10 output limit; the
 * parts' translations are joined in order, so no text is dropped, and a warning says so. Such a
 * line scores the sum of its parts' scores; its n-best entry k joins every part's k-th hypothesis;
 * its attention rows span the positions of every part (each part with its EOS), zero outside its own.
 *
 * @example const [t] = await translateSentences(model, ['Hola, mundo.'], { beam: 5 }); t.text
 */
export async function translateSentences(
  translationModel: TranslationModel,
  sentences: readonly string[],
  options: TranslateOptions = {},
): Promise<Translation[]> {
  const batchSize = positiveInteger(options.batchSize ?? TRANSLATE_DEFAULTS.batchSize, 'batchSize');
  const maxTokens = positiveInteger(options.maxTokens ?? TRANSLATE_DEFAULTS.maxTokens, 'maxTokens');
  const maxSourceLength = positiveInteger(
    options.maxSourceLength ?? TRANSLATE_DEFAULTS.maxSourceLength,
    'maxSourceLength',
  );
  resolveSearchOptions(options); // refuse bad search options before any work, even for empty input
  const results: Translation[] = sentences.map((source) => emptyTranslation(source, options));
  const prepared: PreparedSource[] = [];
  const split = new Map<number, SplitSentence>();
  sentences.forEach((text, index) => {
    if (text.trim() === '') return;
    const sources = prepareSources(translationModel, text, index, maxSourceLength, options);
    if (sources === undefined) return;
    if ('parts' in sources) {
      prepared.push(...sources.parts);
      split.set(index, { ...sources, hypotheses: [] });
    } else prepared.push(sources);
  });
  const searchOptions: SearchOptions = {
    ...options,
    returnAttention: options.returnAttention || options.replaceUnk,
  };
  for (const batch of batchByLength(prepared, batchSize, maxTokens)) {
    // Yield between batches so streams, timers and Ctrl-C get their turn.
    await new Promise((resolve) => setImmediate(resolve));
    if (options.signal?.aborted) {
      throw new SubflowError('INTERRUPTED', 'translation was stopped', {
        hint: 'rerun to translate the rest',
      });
    }
    const hypotheses = search(
      translationModel.model,
      batch.map((s) => s.ids),
      searchOptions,
    );
    batch.forEach((source, row) => {
      const parts = split.get(source.index);
      if (parts) parts.hypotheses[source.part] = hypotheses[row];
      else
        results[source.index] = toTranslation(
          translationModel,
          sentences[source.index],
          source,
          hypotheses[row],
          options,
        );
    });
  }
  for (const [index, parts] of split) {
    results[index] = joinParts(translationModel, sentences[index], parts, options);
  }
  return results;
}

/** The translation of an empty line (also the placeholder until a sentence is decoded). */
function emptyTranslation(source: string, options: TranslateOptions): Translation {
  const translation: Translation = { source, text: '', score: 0 };
  if ((options.nBest ?? SEARCH_DEFAULTS.nBest) > 1) translation.nBest = [{ text: '', score: 0 }];
  return translation;
}

/**
 * The source for the model: one PreparedSource, or for a sentence over `maxSourceLength` its parts
 * under the limit (told to onWarning); undefined when the text has no tokens at all.
 */
function prepareSources(
  translationModel: TranslationModel,
  text: string,
  index: number,
  maxSourceLength: number,
  options: TranslateOptions,
): PreparedSource | Omit<SplitSentence, 'hypotheses'> | undefined {
  const { sourceTokenizer } = translationModel;
  const ids = sourceTokenizer.encode(text);
  if (ids.length === 0) return undefined;
  if (ids.length <= maxSourceLength) return prepareSource(translationModel, text, ids, index, 0, options);
  const count = (part: string) => sourceTokenizer.encode(part).length;
  const parts: PreparedSource[] = [];
  const spaced: boolean[] = [];
  for (const part of splitLongText(text, maxSourceLength, count)) {
    const partIds = sourceTokenizer.encode(part);
    if (partIds.length === 0) {
      // Whitespace or characters the tokenizer drops: nothing to decode, but keep the gap.
      if (spaced.length > 0) spaced[spaced.length - 1] ||= /\s/.test(part);
      continue;
    }
    parts.push(prepareSource(translationModel, part, partIds, index, parts.length, options));
    spaced.push(/\s$/.test(part));
  }
  options.onWarning?.({
    index,
    message: `its ${ids.length} tokens were translated in ${parts.length} parts of at most ${maxSourceLength} (maxSourceLength)`,
  });
  for (const part of parts) {
    // Only a single character that is over the limit on its own gets here.
    if (part.ids.length - 1 > maxSourceLength) {
      options.onWarning?.({
        index,
        message: `a part of ${part.ids.length - 1} tokens that cannot be cut further was shortened to ${maxSourceLength} (maxSourceLength)`,
      });
      part.ids = withEos(part.ids.subarray(0, maxSourceLength));
      part.pieces = part.pieces?.slice(0, maxSourceLength);
    }
  }
  return { parts, spaced };
}

function prepareSource(
  translationModel: TranslationModel,
  text: string,
  ids: Int32Array,
  index: number,
  part: number,
  options: TranslateOptions,
): PreparedSource {
  const pieces =
    options.replaceUnk || options.returnAttention
      ? translationModel.sourceTokenizer.encodePieces(text)
      : undefined;
  return { index, part, ids: withEos(ids), pieces };
}

/** Sorts by source length and cuts so rows ≤ batchSize and rows × longest ≤ maxTokens. */
export function batchByLength<T extends { ids: Int32Array }>(
  items: readonly T[],
  batchSize: number,
  maxTokens: number,
): T[][] {
  const sorted = [...items].sort((a, b) => a.ids.length - b.ids.length);
  const batches: T[][] = [];
  let rows: T[] = [];
  for (const item of sorted) {
    // Sorted ascending, so the newcomer is the longest row of the batch.
    if (rows.length > 0 && (rows.length >= batchSize || (rows.length + 1) * item.ids.length > maxTokens)) {
      batches.push(rows);
      rows = [];
    }
    rows.push(item);
  }
  if (rows.length > 0) batches.push(rows);
  return batches;
}

function toTranslation(
  translationModel: TranslationModel,
  text: string,
  source: PreparedSource,
  hypotheses: Hypothesis[],
  options: TranslateOptions,
): Translation {
  const detokenize = (h: Hypothesis) =>
    outputText(translationModel, h, source, options.replaceUnk ?? TRANSLATE_DEFAULTS.replaceUnk);
  const [best] = hypotheses;
  const translation: Translation = { source: text, text: detokenize(best), score: best.score };
  if ((options.nBest ?? SEARCH_DEFAULTS.nBest) > 1)
    translation.nBest = hypotheses.map((h) => ({ text: detokenize(h), score: h.score }));
  if (options.returnTokenLogProbs && best.tokenLogProbs)
    translation.tokenLogProbs = Array.from(best.tokenLogProbs);
  if (options.returnAttention && best.attention) {
    translation.attention = best.attention.map((row) => Array.from(row));
    translation.sourcePieces = [...(source.pieces ?? []), EOS_PIECE];
    translation.targetPieces = targetPiecesOf(translationModel, best);
  }
  return translation;
}

const NO_SPACE_SCRIPT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\u3000-\u303f\uff00-\uffef]/u;

/**
 * What goes between the translations of two parts: a space, unless the source had none there and
 * the translation is in a script written without spaces at that point (Chinese, Japanese, Thai).
 */
function glue(before: string, after: string, sourceSpace: boolean): string {
  if (sourceSpace) return ' ';
  return NO_SPACE_SCRIPT.test(before.at(-1)!) || NO_SPACE_SCRIPT.test(after[0]) ? '' : ' ';
}

/** The translation of a sentence decoded in parts: their texts joined in order; see translateSentences. */
function joinParts(
  translationModel: TranslationModel,
  text: string,
  split: SplitSentence,
  options: TranslateOptions,
): Translation {
  const replaceUnk = options.replaceUnk ?? false;
  // The k-th hypothesis of every part (or its last, when a part has fewer), joined.
  const joined = (k: number): { text: string; score: number } => {
    let joinedText = '';
    let score = 0;
    let sourceSpace = false;
    split.parts.forEach((part, p) => {
      const candidates = split.hypotheses[p];
      const hypothesis = candidates[Math.min(k, candidates.length - 1)];
      const partText = outputText(translationModel, hypothesis, part, replaceUnk);
      score += hypothesis.score;
      if (partText !== '') {
        joinedText += joinedText === '' ? partText : glue(joinedText, partText, sourceSpace) + partText;
        sourceSpace = false;
      }
      sourceSpace ||= split.spaced[p];
    });
    return { text: joinedText, score };
  };
  const best = joined(0);
  const translation: Translation = { source: text, text: best.text, score: best.score };
  const nBest = options.nBest ?? 1;
  if (nBest > 1) translation.nBest = Array.from({ length: nBest }, (_, k) => (k === 0 ? best : joined(k)));
  const bests = split.hypotheses.map((candidates) => candidates[0]);
  if (options.returnTokenLogProbs && bests.every((h) => h.tokenLogProbs))
    translation.tokenLogProbs = bests.flatMap((h) => Array.from(h.tokenLogProbs!));
  if (options.returnAttention && bests.every((h) => h.attention)) {
    const width = split.parts.reduce((sum, part) => sum + part.ids.length, 0);
    let offset = 0;
    translation.attention = bests.flatMap((h, p) => {
      const rows = h.attention!.map((weights) => {
        const row = new Array<number>(width).fill(0);
        weights.forEach((weight, j) => (row[offset + j] = weight));
        return row;
      });
      offset += split.parts[p].ids.length;
      return rows;
    });
    translation.sourcePieces = split.parts.flatMap((part) => [...(part.pieces ?? []), EOS_PIECE]);
    translation.targetPieces = bests.flatMap((h) => targetPiecesOf(translationModel, h));
  }
  return translation;
}

/** The pieces of a hypothesis, one per attention row: its tokens, and `</s>` when it ended with one. */
function targetPiecesOf(translationModel: TranslationModel, hypothesis: Hypothesis): string[] {
  const pieces = Array.from(hypothesis.tokens, (id) => translationModel.targetTokenizer.idToPiece(id));
  return hypothesis.finished ? [...pieces, EOS_PIECE] : pieces;
}

/** The text of a hypothesis; with replaceUnk, each `<unk>` becomes the most-attended source piece. */
function outputText(
  translationModel: TranslationModel,
  hypothesis: Hypothesis,
  source: PreparedSource,
  replaceUnk: boolean,
): string {
  const { targetTokenizer } = translationModel;
  if (!replaceUnk || !hypothesis.tokens.includes(UNK_ID) || !hypothesis.attention || !source.pieces)
    return targetTokenizer.decode(hypothesis.tokens);
  const pieces = Array.from(hypothesis.tokens, (id, step) => {
    if (id !== UNK_ID) return targetTokenizer.idToPiece(id);
    const weights = hypothesis.attention![step];
    let best = 0;
    for (let j = 1; j < weights.length; j++) if (weights[j] > weights[best]) best = j;
    // The last source position is EOS, which has no piece: keep the unknown marker then.
    return source.pieces![best] ?? ' ⁇ ';
  });
  return pieces.join('').replaceAll('▁', ' ').trim();
}

function positiveInteger(value: number, key: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new SubflowError(
      'BAD_ARGUMENT',
      `translate option ${key} must be a positive integer, got ${value}`,
      {
        key,
      },
    );
  return value;
}
