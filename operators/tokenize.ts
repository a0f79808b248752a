import { map, type OperatorFunction } from 'rxjs';
import type { Tokenizer } from '../text/tokenizer.js';
import { withEos, type EncodedPair, type SentencePair } from '../types.js';

/** What `tokenize` needs from a tokenizer: text in, ids out (no BOS/EOS). Not named TextEncoder, which is a global. */
export type SentenceEncoder = Pick<Tokenizer, 'encode'>;

/**
 * Turns sentence pairs into id sequences, each side ending with EOS (the model's stop signal).
 * One tokenizer may serve both sides when the vocabulary is shared.
 *
 * @example
 * from(pairs).pipe(tokenize(spanish, english), bucketBatch({ maxTokens: 2000 }))
 */
export function tokenize(
  sourceTokenizer: SentenceEncoder,
  targetTokenizer: SentenceEncoder = sourceTokenizer,
): OperatorFunction<SentencePair, EncodedPair> {
  return map((pair) => ({
    src: withEos(sourceTokenizer.encode(pair.src)),
    tgt: withEos(targetTokenizer.encode(pair.tgt)),
    origin: pair.origin,
  }));
}
