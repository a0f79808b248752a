/**
 * A seeded synthetic task for fast model tests: the target is the source sequence reversed. A working
 * seq2seq model with attention learns it to near-perfect accuracy in seconds on CPU, so a test can tell
 * a broken model from a slow one without real data.
 */
import { SubflowError } from '../errors.js';
import { SeededRandom } from '../random.js';
import { UNK_ID } from '../types.js';

/** The first id the generator uses: 0–3 are PAD, BOS, EOS and UNK. */
export const FIRST_WORD_ID = UNK_ID + 1;

/** Shape of a generated reverse task. */
export interface ReverseTaskOptions {
  /** Number of pairs. */
  count: number;
  /** Shortest source, in tokens. Default 3. */
  minLength?: number;
  /** Longest source, in tokens. Default 12. */
  maxLength?: number;
  /** Ids are drawn from [4, vocabSize): the vocabulary size including the 4 special ids. Default 30. */
  vocabSize?: number;
  /** Same seed, same pairs. */
  seed: number;
}

/** One generated pair of token ids, without BOS/EOS. */
export interface IdPair {
  src: number[];
  /** `src` reversed. */
  tgt: number[];
}

/**
 * Generates `count` pairs whose source is a uniformly random length in [minLength, maxLength] of ids
 * uniform in [4, vocabSize), and whose target is that source reversed.
 * @throws SubflowError BAD_ARGUMENT for a negative or fractional count, bad lengths or a vocabulary
 *   with no room for word ids.
 */
export function generateReverseTask({
  count,
  minLength = 3,
  maxLength = 12,
  vocabSize = 30,
  seed,
}: ReverseTaskOptions): IdPair[] {
  const bad = (key: string, expected: string, value: unknown): SubflowError =>
    new SubflowError(
      'BAD_ARGUMENT',
      `generateReverseTask: ${key} must be ${expected}, got ${String(value)}`,
      {
        key,
        hint: 'e.g. generateReverseTask({ count: 1000, minLength: 3, maxLength: 12, vocabSize: 30, seed: 1 })',
      },
    );
  if (!Number.isInteger(count) || count < 0) throw bad('count', 'a non-negative integer', count);
  if (!Number.isInteger(minLength) || minLength < 1) throw bad('minLength', 'a positive integer', minLength);
  if (!Number.isInteger(maxLength) || maxLength < minLength) {
    throw bad('maxLength', `an integer ≥ minLength (${minLength})`, maxLength);
  }
  if (!Number.isInteger(vocabSize) || vocabSize <= FIRST_WORD_ID) {
    throw bad('vocabSize', `an integer > ${FIRST_WORD_ID}`, vocabSize);
  }
  if (!Number.isFinite(seed)) throw bad('seed', 'a number', seed);
  const random = new SeededRandom(seed);
  const words = vocabSize - FIRST_WORD_ID;
  const pairs: IdPair[] = [];
  for (let i = 0; i < count; i++) {
    const length = minLength + random.int(maxLength - minLength + 1);
    const src = Array.from({ length }, () => FIRST_WORD_ID + random.int(words));
    pairs.push({ src, tgt: [...src].reverse() });
  }
  return pairs;
}

/** Ids as a line of word tokens: `[4, 17, 5]` → `w4 w17 w5`. */
export function renderTokens(ids: readonly number[]): string {
  return ids.map((id) => `w${id}`).join(' ');
}

/**
 * Ids back from a rendered line (`w4 w17 w5` → `[4, 17, 5]`).
 * @throws SubflowError CORPUS_BAD_LINE for a token that is not `w` followed by a number.
 */
export function parseTokens(line: string): number[] {
  if (line.trim() === '') return [];
  return line
    .trim()
    .split(/\s+/)
    .map((token) => {
      const match = /^w(\d+)$/.exec(token);
      if (!match) {
        throw new SubflowError('CORPUS_BAD_LINE', `not a synthetic token: '${token}'`, {
          hint: 'synthetic corpus lines are tokens like "w4 w17 w5"',
        });
      }
      return Number(match[1]);
    });
}

/**
 * The pairs as the text of a line-aligned corpus pair, one pair per line, each file ending in a newline:
 * write `source` to e.g. `train.src` and `target` to `train.tgt`.
 */
export function renderReverseCorpus(pairs: readonly IdPair[]): { source: string; target: string } {
  return {
    source: pairs.map((pair) => renderTokens(pair.src) + '\n').join(''),
    target: pairs.map((pair) => renderTokens(pair.tgt) + '\n').join(''),
  };
}
