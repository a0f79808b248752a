import { withEos } from '../types.js';
import { splitLongText } from '../text/splitLongText.js';
import type { Hypothesis } from './searchInternals.js';
import type { TranslateOptions } from './translateSentences.js';
import type { TranslationModel } from './translationModel.js';

/** A sentence, or one part of an over-long one, ready for the model. */
export interface PreparedSource {
  index: number;
  /** Position among the parts of its sentence (0 for a sentence decoded whole). */
  part: number;
  ids: Int32Array;
  /** Source pieces, kept only for `replaceUnk` and `returnAttention`. */
  pieces?: string[];
}

/** An over-long sentence cut into parts, and their hypotheses as they are decoded. */
export interface SplitSentence {
  parts: PreparedSource[];
  /** Whether whitespace followed part k in the source, so its translation is joined with a space. */
  spaced: boolean[];
  hypotheses: Hypothesis[][];
}

/**
 * The source for the model: one PreparedSource, or for a sentence over `maxSourceLength` its parts
 * under the limit (told to onWarning); undefined when the text has no tokens at all.
 */
export function prepareSources(
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

/** One sentence or part as the model takes it: ids ending with EOS, and its pieces when attention is wanted. */
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
