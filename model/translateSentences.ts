import { SubflowError } from '../errors.js';
import { search } from './search.js';
import {
  resolveSearchOptions,
  SEARCH_DEFAULTS,
  type Hypothesis,
  type SearchOptions,
} from './searchInternals.js';
import { UNK_ID, withEos, type Translation } from '../types.js';
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
  /** Longer sources are cut to this many tokens (a warning, not an error). */
  maxSourceLength?: number;
  /** Replace `<unk>` in the output with the source piece the model attended to most. */
  replaceUnk?: boolean;
  /** Receives a warning per truncated sentence. Default: none. */
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

/** A sentence ready for the model. */
interface PreparedSource {
  index: number;
  ids: Int32Array;
  /** Source pieces, kept only for `replaceUnk`. */
  pieces?: string[];
}

/**
 * Translates sentences with a loaded model: encodes them, decodes batches of similar length under
 * the token budget (beam search, or greedy for beam 1) and returns one Translation per input in
 * input order. An empty (or all-whitespace) line gives an empty translation without touching the
 * model; an over-long line is cut to `maxSourceLength` tokens with a warning.
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
  sentences.forEach((text, index) => {
    if (text.trim() === '') return;
    const source = prepareSource(translationModel, text, index, maxSourceLength, options);
    if (source) prepared.push(source);
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
      results[source.index] = toTranslation(
        translationModel,
        sentences[source.index],
        source,
        hypotheses[row],
        options,
      );
    });
  }
  return results;
}

/** The translation of an empty line (also the placeholder until a sentence is decoded). */
function emptyTranslation(source: string, options: TranslateOptions): Translation {
  const translation: Translation = { source, text: '', score: 0 };
  if ((options.nBest ?? SEARCH_DEFAULTS.nBest) > 1) translation.nBest = [{ text: '', score: 0 }];
  return translation;
}

function prepareSource(
  translationModel: TranslationModel,
  text: string,
  index: number,
  maxSourceLength: number,
  options: TranslateOptions,
): PreparedSource | undefined {
  let ids = translationModel.sourceTokenizer.encode(text);
  if (ids.length === 0) return undefined;
  if (ids.length > maxSourceLength) {
    options.onWarning?.({
      index,
      message: `only the first ${maxSourceLength} of its ${ids.length} tokens were translated (maxSourceLength)`,
    });
    ids = ids.subarray(0, maxSourceLength);
  }
  const pieces = options.replaceUnk
    ? translationModel.sourceTokenizer.encodePieces(text).slice(0, maxSourceLength)
    : undefined;
  return { index, ids: withEos(ids), pieces };
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
  if (options.returnAttention && best.attention)
    translation.attention = best.attention.map((row) => Array.from(row));
  return translation;
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
