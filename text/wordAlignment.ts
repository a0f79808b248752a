/**
 * From piece attention to words: SentencePiece pieces that start with `▁` start a word, so the
 * attention of a translation (target pieces × source pieces) sums and averages into an attention
 * between the whitespace-separated words of the source and of the translation, and from there into
 * hard alignments in the Pharaoh format (`0-0 1-2 …`, source-target) that fast_align, Moses and
 * OpenNMT write.
 */

/** The end-of-sentence marker in piece lists; it belongs to no word. */
export const EOS_PIECE = '</s>';

const WORD_START = '▁';

/** Attention between words, rows normalised over the source words. */
export interface WordAttention {
  sourceWords: string[];
  targetWords: string[];
  /** weights[t][s]: the share of target word t's attention on source word s, [targetWords][sourceWords]. */
  weights: number[][];
}

/** The word each piece belongs to (0-based), −1 for `</s>`; a first piece without `▁` starts word 0. */
export function pieceWordIndices(pieces: readonly string[]): number[] {
  let word = -1;
  return pieces.map((piece) => {
    if (piece === EOS_PIECE) return -1;
    if (word < 0 || piece.startsWith(WORD_START)) word += 1;
    return word;
  });
}

/** The words the pieces spell, `▁` read as the space before a word (`</s>` left out). */
export function piecesToWords(pieces: readonly string[]): string[] {
  const words: string[] = [];
  pieceWordIndices(pieces).forEach((word, p) => {
    if (word < 0) return;
    words[word] = (words[word] ?? '') + pieces[p].replaceAll(WORD_START, '');
  });
  return words;
}

/**
 * Word-level attention from piece-level attention: a target word's row is the mean of its pieces'
 * rows, each summed over the pieces of every source word; `</s>` rows and columns are left out and
 * each row is renormalised over the source words (a row with no weight on any word becomes uniform).
 * @param attention weights of each output step over the source pieces, [targetPieces][sourcePieces]
 * @param sourcePieces the pieces the columns stand for, `</s>` included
 * @param targetPieces the pieces the rows stand for, `</s>` included when the search produced it
 */
export function wordAttention(
  attention: readonly ArrayLike<number>[],
  sourcePieces: readonly string[],
  targetPieces: readonly string[],
): WordAttention {
  const sourceWordOf = pieceWordIndices(sourcePieces);
  const targetWordOf = pieceWordIndices(targetPieces);
  const sourceWords = piecesToWords(sourcePieces);
  const targetWords = piecesToWords(targetPieces);
  const weights = targetWords.map(() => new Array<number>(sourceWords.length).fill(0));
  const piecesPerWord = new Array<number>(targetWords.length).fill(0);
  targetWordOf.forEach((t, row) => {
    if (t < 0 || row >= attention.length) return;
    piecesPerWord[t] += 1;
    const weightsOfRow = attention[row];
    sourceWordOf.forEach((s, column) => {
      if (s >= 0 && column < weightsOfRow.length) weights[t][s] += weightsOfRow[column];
    });
  });
  for (const row of weights) {
    const total = row.reduce((sum, weight) => sum + weight, 0);
    for (let s = 0; s < row.length; s++) row[s] = total > 0 ? row[s] / total : 1 / row.length;
  }
  return { sourceWords, targetWords, weights };
}

/** Hard alignment: each target word linked to the source word it attends to most, as [source, target]. */
export function hardAlignment(words: WordAttention): Array<[number, number]> {
  if (words.sourceWords.length === 0) return [];
  return words.weights.map((row, t) => {
    let best = 0;
    for (let s = 1; s < row.length; s++) if (row[s] > row[best]) best = s;
    return [best, t];
  });
}

/** Alignment links in the Pharaoh format: `s-t` pairs separated by spaces. */
export function formatPharaoh(links: ReadonlyArray<readonly [number, number]>): string {
  return links.map(([s, t]) => `${s}-${t}`).join(' ');
}
