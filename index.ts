// subflow's public API: the stages of design.md as RxJS operators, plus the pieces they are built from.
export * from './errors.js';
export * from './types.js';
export { SeededRandom } from './random.js';
export {
  readParallel,
  type ParallelSource,
  type AlignedFilesSource,
  type TsvSource,
} from './operators/readParallel.js';
export { cleanPairs, type CleanOptions, type CleanStats } from './operators/cleanPairs.js';
export {
  trainTokenizer,
  type TrainTokenizerOptions,
  type TrainedTokenizers,
} from './operators/trainTokenizer.js';
export { tokenize } from './operators/tokenize.js';
export { bucketBatch, padBatch, type BucketOptions } from './operators/bucketBatch.js';
export { Tokenizer } from './text/tokenizer.js';
export { trainSentencePiece, type SentencePieceTrainOptions } from './text/sentencepieceTrainer.js';
export { normalizeText } from './text/normalize.js';
export { corpusBleu, sentenceBleu, type BleuScore, type BleuOptions } from './text/bleu.js';
export { corpusChrf, sentenceChrf, type ChrfScore, type ChrfOptions } from './text/chrf.js';
