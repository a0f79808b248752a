import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isSubflowError, SubflowError } from '../errors.js';
import { resolveModelDir } from './defaultModel.js';
import { DEFAULT_BACKEND, resolveBackend, type BackendName } from './backend.js';
import { assignWeights, loadCheckpoint } from './checkpoint.js';
import type { ModelLanguages, TrainingMetadata } from './checkpointFormat.js';
import type { ModelConfig } from './config.js';
import { Seq2Seq } from './seq2seq.js';
import { int8Kernels, packInt8 } from './kernels/int8Kernels.js';
import type { QuantizedMatrix } from './quantize.js';
import { Tokenizer } from '../text/tokenizer.js';

/** A checkpoint ready to translate with: the network and both tokenizers. */
export interface TranslationModel {
  model: Seq2Seq;
  sourceTokenizer: Tokenizer;
  targetTokenizer: Tokenizer;
  /** The folder actually read (its `.previous` sibling after an interrupted save). */
  dir: string;
  /** The language pair (ISO 639-1) from `model.json`; absent in folders written before it was recorded. */
  languages?: ModelLanguages;
  /** Training metadata from `model.json`, when the checkpoint has it. */
  metadata?: TrainingMetadata;
  /** The tfjs backend the model runs on, and why (see resolveBackend). */
  backend: { name: string; reason: string };
  /** Frees the model's tensors; the TranslationModel is unusable afterwards. */
  dispose(): void;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /**
   * Backend to activate first (`auto` tries tfjs-node-gpu, tfjs-node, wasm, cpu). `current` keeps the
   * backend tfjs already runs on (for callers that resolved it themselves). Default DEFAULT_BACKEND.
   */
  backend?: BackendName | 'current';
}

/**
 * Loads a checkpoint folder (`model.json`, `weights.bin`, `source.model`, `target.model`) for
 * translation, verifying its format, version and weight hashes, and that the tokenizers fit the
 * network's vocabularies.
 *
 * Without `dir`, loads the bundled Spanish → English model (`models/bible-es-en` in the package),
 * wherever the package is installed.
 * @example const model = await loadModel('models/es-en'); from(lines).pipe(translate(model, { beam: 5 }))
 * @throws SubflowError FILE_NOT_FOUND (no folder), MODEL_INVALID (not a subflow checkpoint, no
 *   tokenizers), CHECKPOINT_CORRUPT (damaged files), MODEL_MISMATCH (weights or vocabularies do not fit)
 */
export async function loadModel(dir?: string, options: LoadModelOptions = {}): Promise<TranslationModel> {
  dir = resolveModelDir(dir);
  const checkpoint = loadCheckpoint(dir);
  if (!checkpoint.tokenizerPaths) {
    throw new SubflowError(
      'MODEL_INVALID',
      `${dir} has no tokenizers, so it cannot translate text (model.json names no source/target .model)`,
      {
        file: join(checkpoint.dir, 'model.json'),
        hint: 'use a checkpoint written by the train stage, which copies source.model and target.model in',
      },
    );
  }
  const requested = options.backend ?? DEFAULT_BACKEND;
  const backend =
    requested === 'current'
      ? { name: tf.getBackend(), reason: 'backend kept as it was' }
      : await resolveBackend(requested).then((r) => ({
          name: r.backend,
          reason: r.reason,
        }));
  const [sourceTokenizer, targetTokenizer] = await Promise.all([
    Tokenizer.load(checkpoint.tokenizerPaths.source),
    Tokenizer.load(checkpoint.tokenizerPaths.target),
  ]);
  const model = buildModel(checkpoint.model.modelConfig as ModelConfig, join(checkpoint.dir, 'model.json'));
  try {
    assignWeights(model, checkpoint);
    checkVocabulary('source', sourceTokenizer, model.config.srcVocab, checkpoint.dir);
    checkVocabulary('target', targetTokenizer, model.config.tgtVocab, checkpoint.dir);
  } catch (error) {
    model.dispose();
    throw error;
  }
  if (checkpoint.quantized.size > 0) backend.reason += `; ${useInt8(model, checkpoint.quantized)}`;
  return {
    model,
    sourceTokenizer,
    targetTokenizer,
    dir: checkpoint.dir,
    ...(checkpoint.model.languages ? { languages: checkpoint.model.languages } : {}),
    metadata: checkpoint.model.training,
    backend,
    dispose: () => model.dispose(),
  };
}

/** The int8 matrices the native decoder step takes, by role. */
const INT8_DECODER = {
  embedding: 'target/embedding',
  kernel: 'decoder/l0/kernel',
  recurrent: 'decoder/l0/recurrent',
  combine: 'attention/combine',
  out: 'decoder/out/kernel',
} as const;

/**
 * Hands an int8 checkpoint's decoder matrices to the native int8 decoder step when it can run them,
 * and says in a few words for the backend line what runs: int8 kernels, or float32 expanded from int8.
 */
function useInt8(model: Seq2Seq, quantized: Map<string, QuantizedMatrix>): string {
  const kernels = int8Kernels();
  const expanded = 'int8 weights expanded to float32';
  if (!kernels.addon) return `${expanded} (${kernels.why})`;
  if (!model.oneCallDecoderStep())
    return `${expanded} (the int8 decoder step needs the wasm or cpu backend and a one-layer Luong decoder without input feeding)`;
  const matrices = Object.entries(INT8_DECODER).map(([role, name]) => [role, quantized.get(name)] as const);
  const missing = matrices
    .filter(([, m]) => m === undefined)
    .map(([role]) => INT8_DECODER[role as keyof typeof INT8_DECODER]);
  if (missing.length > 0) return `${expanded} (${missing.join(', ')} not int8)`;
  const weights = Object.fromEntries(matrices.map(([role, m]) => [role, packInt8(kernels.addon, m!)]));
  model.useInt8Weights(weights as unknown as Parameters<Seq2Seq['useInt8Weights']>[0]);
  return `int8 decoder step on native kernels (${kernels.path}), encoder in float32 expanded from int8`;
}

/** The network of a model.json config; a bad config is a damaged checkpoint, not a user config error. */
function buildModel(config: ModelConfig, modelFile: string): Seq2Seq {
  try {
    return new Seq2Seq(config);
  } catch (error) {
    if (!isSubflowError(error, 'CONFIG_INVALID')) throw error;
    throw new SubflowError('MODEL_INVALID', `${modelFile}: modelConfig is not valid (${error.message})`, {
      file: modelFile,
      cause: error,
      hint: 'the checkpoint was written by an incompatible subflow version or edited by hand',
    });
  }
}

function checkVocabulary(side: string, tokenizer: Tokenizer, vocab: number, dir: string): void {
  if (tokenizer.vocabSize !== vocab) {
    throw new SubflowError(
      'MODEL_MISMATCH',
      `${dir}: the ${side} tokenizer has ${tokenizer.vocabSize} pieces but the model's ${side} vocabulary is ${vocab}`,
      { file: tokenizer.modelPath, hint: `the folder's ${side}.model was replaced; restore the original` },
    );
  }
}
