import { SubflowError } from '../errors.js';
import { search } from './search.js';
import { resolveSearchOptions, SEARCH_DEFAULTS, type SearchOptions } from './searchInternals.js';
import type { Translation } from '../types.js';
import type { TranslationModel } from './translationModel.js';
import { prepareSources, type PreparedSource, type SplitSentence } from './sourceParts.js';
import { joinParts, toTranslation } from './translationOutput.js';

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
