import { UNK_ID, type Translation } from '../types.js';
import { EOS_PIECE } from '../text/wordAlignment.js';
import { SEARCH_DEFAULTS, type Hypothesis } from './searchInternals.js';
import type { PreparedSource, SplitSentence } from './sourceParts.js';
import type { TranslateOptions } from './translateSentences.js';
import type { TranslationModel } from './translationModel.js';

/** The Translation of a sentence decoded whole, from its hypotheses (best first). */
export function toTranslation(
  translationModel: TranslationModel,
  text: string,
  source: PreparedSource,
  hypotheses: Hypothesis[],
  options: TranslateOptions,
): Translation {
  const detokenize = (h: Hypothesis) => outputText(translationModel, h, source, options.replaceUnk === true);
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
export function joinParts(
  translationModel: TranslationModel,
  text: string,
  split: SplitSentence,
  options: TranslateOptions,
): Translation {
  const replaceUnk = options.replaceUnk === true;
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
