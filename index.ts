// subflow's public API: the stages of design.md as RxJS operators, plus the pieces they are built from.
export * from './errors.js';
export * from './types.js';
export { SeededRandom } from './random.js';

// Corpora → model
export {
  readParallel,
  type ParallelSource,
  type AlignedFilesSource,
  type TsvSource,
} from './operators/readParallel.js';
export { FlowGate } from './flowGate.js';
export { cleanPairs, CLEAN_DEFAULTS, type CleanOptions, type CleanStats } from './operators/cleanPairs.js';
export {
  trainTokenizer,
  type TrainTokenizerOptions,
  type TrainedTokenizers,
} from './operators/trainTokenizer.js';
export { tokenize } from './operators/tokenize.js';
export { bucketBatch, padBatch, BUCKET_DEFAULTS, type BucketOptions } from './operators/bucketBatch.js';
export { train, trainEpochs, type TrainOptions } from './operators/train.js';

// Model → translations
export { loadModel, type TranslationModel, type LoadModelOptions } from './model/translationModel.js';
export { defaultModelDir, DEFAULT_MODEL_NAME } from './model/defaultModel.js';
export { translate, type TranslateStreamOptions } from './operators/translate.js';
export {
  translateSentences,
  TRANSLATE_DEFAULTS,
  type TranslateOptions,
  type DecodingSettings,
} from './model/translateSentences.js';
export { SEARCH_DEFAULTS, type SearchOptions } from './model/searchInternals.js';
export { translateVia, type TranslateViaOptions } from './operators/translateVia.js';
export {
  batchRequests,
  BATCH_DEFAULTS,
  type BatchableRequest,
  type BatchOutcome,
  type BatchInfo,
  type BatchRequestsOptions,
} from './operators/batchRequests.js';

// Subtitles
export { extractCues, type ExtractCuesOptions } from './operators/extractCues.js';
export { segmentSentences } from './operators/segmentSentences.js';
export {
  translateCues,
  modelTranslator,
  type TranslateCuesOptions,
  type UnitTranslator,
} from './operators/translateCues.js';
export { reflow, type ReflowCuesOptions } from './operators/reflow.js';
export { reflowCueText, reflowText, REFLOW_DEFAULTS, type ReflowOptions } from './subtitles/reflow.js';
export { writeSubtitles, type WriteSubtitlesOptions } from './operators/writeSubtitles.js';
export type { Cue, SubtitleDocument, SubtitleFormat, SubtitleStream } from './subtitles/cue.js';
export {
  parseSubtitles,
  writeSubtitles as formatSubtitles,
  detectFormat,
  convertDocument,
} from './subtitles/formats.js';
export { readSubtitleFile } from './subtitles/readSubtitleFile.js';
export { writeSubtitleFile } from './subtitles/writeSubtitleFile.js';
export { translateDocument, prepareCues } from './subtitles/translateDocument.js';
export {
  probeMedia,
  formatStreamTable,
  extractSubtitleStream,
  muxSubtitleTrack,
  type MediaProbe,
} from './subtitles/media.js';

// Building blocks
export { Seq2Seq, type DecodeStepResult } from './model/seq2seq.js';
export { REF_SMALL, ATTENTION_KINDS, resolveModelConfig, type ModelConfig } from './model/config.js';
export {
  resolveBackend,
  BACKEND_NAMES,
  DEFAULT_BACKEND,
  type BackendName,
  type ResolvedBackend,
} from './model/backend.js';
export { TRAINING_DEFAULTS } from './model/trainerOptions.js';
export { ADAM_DEFAULTS } from './model/optimizer.js';
export { saveCheckpoint, loadCheckpoint } from './model/checkpoint.js';
export { Tokenizer } from './text/tokenizer.js';
export { trainSentencePiece, type SentencePieceTrainOptions } from './text/sentencepieceTrainer.js';
export { normalizeText } from './text/normalize.js';
export { corpusBleu, sentenceBleu, type BleuScore, type BleuOptions } from './text/bleu.js';
export { corpusChrf, sentenceChrf, type ChrfScore, type ChrfOptions } from './text/chrf.js';
