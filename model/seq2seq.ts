import * as tf from '@tensorflow/tfjs';
import { matMul2d } from './dense.js';
import { SubflowError } from '../errors.js';
import { SeededRandom } from '../random.js';
import type { Batch } from '../types.js';
import { resolveModelConfig, type ModelConfig } from './config.js';
import {
  decodeTeacherForced,
  decoderStep,
  disposeDecoderState,
  initialDecoderState,
  selectDecoderRows,
  type DecoderState,
  type Dropout,
} from './decoder.js';
import {
  disposeEncoderState,
  encodeEmbedded,
  lengthMask,
  selectEncoderRows,
  type EncoderState,
} from './encoder.js';
import { seededDropout } from './kernels/dropoutKernel.js';
import { fusedKernelsActive, logSoftmaxRows, registerFusedKernels } from './kernels/fusedKernels.js';
import { nativeKernels } from './kernels/nativeAddon.js';
import { registerInt8Kernels, type Int8DecoderWeights } from './kernels/int8Kernels.js';
import {
  packedProducts,
  packMatrix,
  packStacked,
  packedPathCode,
  type PackedDecoderWeights,
} from './kernels/packedKernels.js';
import { labelSmoothedCrossEntropy } from './loss.js';
import { isRecordingGradients, reshape, tidyObject } from './ops.js';
import { outputLayerLoss } from './outputLoss.js';
import { createParameters, networkWeights, type NetworkWeights } from './parameters.js';

export type { EncoderState } from './encoder.js';
export type { DecoderState } from './decoder.js';

/** Output of one incremental decoder step. */
export interface DecodeStepResult {
  /** log p(next token), [batch, tgtVocab]. */
  logProbs: tf.Tensor2D;
  /** State to pass to the next step. */
  newDecoderState: DecoderState;
  /** Attention weights over source positions, [batch, srcLen]. */
  attention: tf.Tensor2D;
}

const NO_DROPOUT: Dropout = (x) => x;

/**
 * The ref-small encoder–decoder (bidirectional LSTM encoder, bridge, LSTM decoder, Luong or
 * Bahdanau attention, attentional layer, output projection), written with tfjs core ops over
 * its own variables. Training runs every time step of the input projections, the attention and
 * the output layer as single ops; only the recurrences loop over time.
 */
export class Seq2Seq {
  readonly config: ModelConfig;
  /** All trainable variables by stable name (see `parameters.ts`), in a deterministic order. */
  readonly variables: Map<string, tf.Variable>;
  private readonly weights: NetworkWeights;
  /** Draws dropout seeds when `loss` is called without one. */
  private readonly dropoutSeeds: SeededRandom;

  /**
   * Builds and initialises the network; the same `seed` (default 1) gives the same weights.
   * Missing config keys take their `REF_SMALL` values; bad ones throw CONFIG_INVALID.
   */
  constructor(config: ModelConfig | Partial<ModelConfig>, options: { seed?: number } = {}) {
    this.config = resolveModelConfig(config);
    registerFusedKernels();
    const seed = options.seed ?? 1;
    this.variables = createParameters(this.config, seed);
    this.weights = networkWeights(this.config, this.variables);
    this.dropoutSeeds = new SeededRandom(seed ^ 0x5eed);
  }

  /** Mean label-smoothed cross-entropy per non-PAD target token, a scalar. training=true applies dropout. */
  loss(batch: Batch, options: { training: boolean; seed?: number }): tf.Scalar {
    return tf.tidy(() => {
      const dropout = options.training
        ? this.makeDropout(options.seed ?? this.dropoutSeeds.int(2 ** 31))
        : NO_DROPOUT;
      if (fusedKernelsActive() && isRecordingGradients()) {
        // Training: the output layer and the loss as one chunked op (no whole [tokens, vocab] logits).
        const { kernel, bias } = this.weights.output;
        const smoothing = this.config.labelSmoothing;
        return outputLayerLoss(this.attentional(batch, dropout), kernel, bias, batch.tgtOut, smoothing);
      }
      return labelSmoothedCrossEntropy(
        this.forward(batch, dropout),
        batch.tgtOut,
        this.config.labelSmoothing,
      );
    });
  }

  /** Logits [batch, tgtMax, tgtVocab], no dropout. */
  logits(batch: Batch): tf.Tensor3D {
    return tf.tidy(() =>
      tf.reshape(this.forward(batch, NO_DROPOUT), [batch.size, batch.tgtMax, this.config.tgtVocab]),
    );
  }

  /** Parameter count (12,137,280 for ref-small at vocab 8000/8000). */
  countParameters(): number {
    let count = 0;
    for (const variable of this.variables.values()) count += variable.size;
    return count;
  }

  /** Frees every variable; the model is unusable afterwards. */
  dispose(): void {
    this.packed = undefined;
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }

  /**
   * Encodes source sentences for incremental decoding (no dropout). The caller disposes the
   * result with `disposeEncoderState`.
   * @param src    source ids padded with PAD, [batch, srcLen] int32 (a tensor or row-major array)
   * @param srcLen real length of each row, [batch]
   */
  encode(src: tf.Tensor2D | Int32Array, srcLen: ArrayLike<number>): EncoderState {
    return tidyObject(() => {
      const batch = srcLen.length;
      if (!(src instanceof tf.Tensor)) checkIds(src, this.config.srcVocab, 'source');
      const ids =
        src instanceof tf.Tensor ? src : tf.tensor2d(src, [batch, src.length / Math.max(batch, 1)], 'int32');
      const embedded = tf.gather(this.weights.sourceEmbedding, ids) as unknown as tf.Tensor3D;
      return encodeEmbedded(this.config, this.weights, embedded, lengthMask(srcLen, ids.shape[1]));
    });
  }

  /** The decoder state before the first step (BOS); dispose with `disposeDecoderState`. */
  initialDecoderState(encoder: EncoderState): DecoderState {
    return initialDecoderState(this.config, encoder);
  }

  /**
   * One incremental decoding step for every row. Inputs are not disposed.
   * @param prevTokens previous output ids (BOS at the first step), [batch] int32
   */
  decodeStep(
    encoder: EncoderState,
    prevTokens: tf.Tensor1D | Int32Array,
    state: DecoderState,
  ): DecodeStepResult {
    const { logits, ...rest } = this.decodeStepLogits(encoder, prevTokens, state);
    const logProbs = logSoftmaxRows(logits);
    logits.dispose();
    return { logProbs, ...rest };
  }

  /**
   * `decodeStep` without the log-softmax: next-token logits [batch, tgtVocab]. Searches take their
   * top k and logsumexp from these directly (searchInternals.ts's topKLogSoftmaxRows).
   * @param stateRows row r continues the state's row stateRows[r] (a beam's reordering), [batch];
   *   the same as `selectDecoderRows(state, stateRows)` first, which the native step does in place
   * @param encoderRows row r attends to the encoder's row encoderRows[r], [batch]; the same as
   *   `selectEncoderRows(encoder, encoderRows)` first (in place where `stepReadsEncoderRows()`)
   */
  decodeStepLogits(
    encoder: EncoderState,
    prevTokens: tf.Tensor1D | Int32Array,
    state: DecoderState,
    stateRows?: Int32Array,
    encoderRows?: Int32Array,
  ): Omit<DecodeStepResult, 'logProbs'> & { logits: tf.Tensor2D } {
    return tidyObject(() => {
      const ids = prevTokens instanceof tf.Tensor ? prevTokens : tf.tensor1d(prevTokens, 'int32');
      if (this.stepReadsEncoderRows())
        return this.nativeDecoderStep(encoder, ids, state, stateRows, encoderRows);
      // The other paths gather the rows first (freed with the step's other intermediates).
      if (stateRows) state = selectDecoderRows(state, stateRows);
      if (encoderRows) encoder = selectEncoderRows(encoder, encoderRows);
      const oneCall = this.oneCallDecoderStep();
      if (oneCall && this.int8) return this.int8DecoderStep(this.int8, encoder, ids, state);
      const embedded = tf.gather(this.weights.targetEmbedding, ids) as tf.Tensor2D;
      const step = decoderStep(this.config, this.weights, encoder, embedded, state, NO_DROPOUT, {
        incremental: true,
      });
      const logits = matMul2d(step.attentional, this.weights.output.kernel, this.weights.output.bias);
      return { logits, newDecoderState: step.state, attention: step.attention };
    });
  }

  private int8?: { weights: Int8DecoderWeights; path: number };

  /**
   * Decodes with int8 matrices in the native decoder step from now on (an int8 checkpoint; see
   * translationModel.ts); the float variables stay for training-shaped graphs and the encoder.
   * @param path int8PathCode of the product to run (0: the fastest the CPU has)
   */
  useInt8Weights(weights: Int8DecoderWeights, path = 0): void {
    registerInt8Kernels();
    this.int8 = { weights, path };
  }

  /** True when decoding steps run on int8 weights (useInt8Weights and a backend that runs them). */
  decodesInt8(): boolean {
    return this.int8 !== undefined && this.oneCallDecoderStep();
  }

  /**
   * True when `decodeStepLogits` reads `encoderRows` and `stateRows` in place (the float native
   * step), so a search need not gather encoder rows for its beams.
   */
  stepReadsEncoderRows(): boolean {
    return this.int8 === undefined && this.oneCallDecoderStep();
  }

  /** True when a decoding step can run as one native call (one-layer Luong decoder, no input feeding). */
  oneCallDecoderStep(): boolean {
    const { attention, decoderLayers, inputFeeding } = this.config;
    return (
      attention === 'luong-general' &&
      decoderLayers === 1 &&
      !inputFeeding &&
      fusedKernelsActive() &&
      nativeKernels() !== undefined
    );
  }

  /** `decodeStepLogits` through the one-call `SubflowDecoderStep` kernel (kernels/decodeKernels.ts). */
  private nativeDecoderStep(
    encoder: EncoderState,
    ids: tf.Tensor1D,
    state: DecoderState,
    stateRows: Int32Array | undefined,
    encoderRows: Int32Array | undefined,
  ): Omit<DecodeStepResult, 'logProbs'> & { logits: tf.Tensor2D } {
    const [layer] = this.weights.decoder;
    const weights = {
      bias: layer.bias,
      outBias: this.weights.output.bias,
      embedding: this.weights.targetEmbedding,
      kernel: layer.kernel,
      recurrent: layer.recurrent,
      combine: this.weights.attention.combineKernel,
      outKernel: this.weights.output.kernel,
    };
    const packed = this.packedDecoderWeights();
    return runDecoderStepKernel('SubflowDecoderStep', encoder, ids, state, weights, {
      ...(packed ? { packed } : {}),
      ...(stateRows ? { stateRows } : {}),
      ...(encoderRows ? { encoderRows } : {}),
    });
  }

  private packed?: { sources: tf.DataId[]; weights: PackedDecoderWeights };

  /**
   * [W; U], W_c and W_o packed for the native decoder step's packed products (kernels/packedKernels.ts),
   * packed on the first step and again whenever one of them has changed (a training step gives a
   * variable new data); undefined when the packed products cannot run here.
   */
  packedDecoderWeights(): PackedDecoderWeights | undefined {
    const products = packedProducts();
    if (!products || this.weights.decoder.length !== 1) return undefined;
    const [layer] = this.weights.decoder;
    const matrices = [
      layer.kernel,
      layer.recurrent,
      this.weights.attention.combineKernel,
      this.weights.output.kernel,
    ];
    if (this.packed?.sources.every((id, i) => id === matrices[i].dataId)) return this.packed.weights;
    this.packed = undefined;
    const [kernel, recurrent, combine, out] = matrices as tf.Tensor2D[];
    this.packed = {
      sources: matrices.map((m) => m.dataId),
      weights: {
        gates: packStacked(products.addon, [kernel, recurrent]),
        combine: packMatrix(products.addon, combine),
        out: packMatrix(products.addon, out),
        path: packedPathCode('auto'),
      },
    };
    return this.packed.weights;
  }

  /** `decodeStepLogits` through the one-call `SubflowDecoderStepInt8` kernel (int8Kernels.ts). */
  private int8DecoderStep(
    int8: { weights: Int8DecoderWeights; path: number },
    encoder: EncoderState,
    ids: tf.Tensor1D,
    state: DecoderState,
  ): Omit<DecodeStepResult, 'logProbs'> & { logits: tf.Tensor2D } {
    const [layer] = this.weights.decoder;
    const weights = { bias: layer.bias, outBias: this.weights.output.bias };
    return runDecoderStepKernel('SubflowDecoderStepInt8', encoder, ids, state, weights, int8);
  }

  /** Encoder state of the given rows (e.g. each sentence repeated beam times): rows [newBatch]. */
  selectEncoderRows(state: EncoderState, rows: Int32Array | tf.Tensor1D): EncoderState {
    return selectEncoderRows(state, rows);
  }

  /** Decoder state of the given rows (beam reordering): rows [newBatch]. */
  selectDecoderRows(state: DecoderState, rows: Int32Array | tf.Tensor1D): DecoderState {
    return selectDecoderRows(state, rows);
  }

  /** Frees an encoder state returned by `encode` / `selectEncoderRows`. */
  disposeEncoderState(state: EncoderState): void {
    disposeEncoderState(state);
  }

  /** Frees a decoder state returned by `initialDecoderState` / `decodeStep` / `selectDecoderRows`. */
  disposeDecoderState(state: DecoderState): void {
    disposeDecoderState(state);
  }

  /**
   * Teacher-forced forward pass: logits [batch·tgtMax, tgtVocab], row-major over (row, step). Kept
   * 2-D for the loss: tfjs' Reshape gradient saves its input, which would hold the logits (the
   * largest tensor of a step) until the backward pass ends.
   */
  private forward(batch: Batch, dropout: Dropout): tf.Tensor2D {
    return matMul2d(this.attentional(batch, dropout), this.weights.output.kernel, this.weights.output.bias);
  }

  /** Teacher-forced attentional vectors h̃ before the output layer, [batch·tgtMax, attentionalUnits]. */
  private attentional(batch: Batch, dropout: Dropout): tf.Tensor2D {
    const { size, srcMax, tgtMax } = batch;
    checkIds(batch.src, this.config.srcVocab, 'source');
    checkIds(batch.tgtIn, this.config.tgtVocab, 'target');
    checkIds(batch.tgtOut, this.config.tgtVocab, 'target');
    const src = tf.tensor2d(batch.src, [size, srcMax], 'int32');
    const tgtIn = tf.tensor2d(batch.tgtIn, [size, tgtMax], 'int32');
    const srcEmbedded = dropout(tf.gather(this.weights.sourceEmbedding, src)) as tf.Tensor3D;
    const encoder = encodeEmbedded(this.config, this.weights, srcEmbedded, lengthMask(batch.srcLen, srcMax));
    const tgtEmbedded = dropout(tf.gather(this.weights.targetEmbedding, tgtIn)) as tf.Tensor3D;
    const attentional = decodeTeacherForced(this.config, this.weights, encoder, tgtEmbedded, dropout);
    return reshape<tf.Tensor2D>(attentional, [size * tgtMax, this.config.attentionalUnits]);
  }

  /** Dropout with a fresh seed per call, derived from one seed so a step is reproducible. */
  private makeDropout(seed: number): Dropout {
    const rate = this.config.dropout;
    if (rate === 0) return NO_DROPOUT;
    let call = 0;
    return (x) => seededDropout(x, rate, seed + 7919 * ++call);
  }
}

/** Out-of-range ids would silently read garbage rows on some backends: refuse them. */
function checkIds(ids: ArrayLike<number>, vocab: number, side: 'source' | 'target'): void {
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      throw new SubflowError(
        'MODEL_MISMATCH',
        `${side} token id ${ids[i]} is outside the model's vocabulary 0..${vocab - 1}`,
        {
          hint: `the tokenizer and model.${side === 'source' ? 'srcVocab' : 'tgtVocab'} must agree`,
        },
      );
    }
  }
}

/**
 * Runs a one-call decoder-step kernel over the step's ids [rows], state h, c [layers, rows, units] and
 * the encoder's keys, values and mask, plus the float weights it reads; returns logits [rows, vocab],
 * the new state and the attention [rows, srcLen].
 */
function runDecoderStepKernel(
  kernel: 'SubflowDecoderStep' | 'SubflowDecoderStepInt8',
  encoder: EncoderState,
  ids: tf.Tensor1D,
  state: DecoderState,
  weights: Record<string, tf.Tensor>,
  attrs: object = {},
): Omit<DecodeStepResult, 'logProbs'> & { logits: tf.Tensor2D } {
  const inputs = {
    ids,
    h: state.h,
    c: state.c,
    keys: encoder.keys,
    values: encoder.values,
    mask: encoder.mask,
    ...weights,
  };
  const [logits, h, c, attention] = tf
    .engine()
    .runKernel(kernel, inputs, attrs as tf.NamedAttrMap) as tf.Tensor[];
  return {
    logits: logits as tf.Tensor2D,
    newDecoderState: { h: h as tf.Tensor3D, c: c as tf.Tensor3D },
    attention: attention as tf.Tensor2D,
  };
}
