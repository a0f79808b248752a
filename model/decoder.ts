import * as tf from '@tensorflow/tfjs';
import { matMul2d } from './dense.js';
import { attend } from './attention.js';
import { attentionStep } from './kernels/decodeKernels.js';
import { fusedKernelsActive } from './kernels/fusedKernels.js';
import type { ModelConfig } from './config.js';
import { tidyObject, unstack } from './ops.js';
import type { EncoderState } from './encoder.js';
import { lstmStep, runLstm, type LstmState } from './lstm.js';
import type { NetworkWeights } from './parameters.js';

/** The decoder's recurrent state between incremental steps. */
export interface DecoderState {
  /** Hidden state of each layer, [decoderLayers, batch, decUnits]. */
  h: tf.Tensor3D;
  /** Cell state of each layer, [decoderLayers, batch, decUnits]. */
  c: tf.Tensor3D;
  /** Previous attentional vector h̃ₜ₋₁ (input feeding only), [batch, attentionalUnits]. */
  attentional?: tf.Tensor2D;
}

/** Applies dropout (training) or nothing (inference). */
export type Dropout = (x: tf.Tensor) => tf.Tensor;

/** The decoder state before the first target token: the bridge's h0/c0 (copies), h̃₀ = 0. */
export function initialDecoderState(config: ModelConfig, encoder: EncoderState): DecoderState {
  return tidyObject(() => ({
    h: tf.clone(encoder.h0),
    c: tf.clone(encoder.c0),
    attentional: config.inputFeeding
      ? (tf.zeros([encoder.h0.shape[1], config.attentionalUnits]) as tf.Tensor2D)
      : undefined,
  }));
}

/**
 * Teacher-forced decoder over all target steps. Without input feeding each layer runs as one
 * `runLstm` (input projections in one matMul) and the attention for all steps is one batched op;
 * with input feeding attention must run inside the step loop.
 * @param embedded target-input embeddings (dropout applied), [batch, tgtLen, emb]
 * @returns attentional vectors h̃ (dropout applied), [batch, tgtLen, attentionalUnits]
 */
export function decodeTeacherForced(
  config: ModelConfig,
  weights: NetworkWeights,
  encoder: EncoderState,
  embedded: tf.Tensor3D,
  dropout: Dropout,
): tf.Tensor3D {
  const h0 = unstack<tf.Tensor2D>(encoder.h0);
  const c0 = unstack<tf.Tensor2D>(encoder.c0);
  if (!config.inputFeeding) {
    let outputs = embedded;
    weights.decoder.forEach((layer, index) => {
      outputs = runLstm(outputs, layer, { h: h0[index], c: c0[index] }).outputs;
    });
    const { attentional } = attend(outputs, encoder.keys, encoder.values, encoder.mask, weights.attention);
    return dropout(attentional) as tf.Tensor3D;
  }
  const steps = unstack<tf.Tensor2D>(embedded, 1);
  let state: DecoderState = initialDecoderState(config, encoder);
  const outputs: tf.Tensor2D[] = [];
  for (const step of steps) {
    const result = decoderStep(config, weights, encoder, step, state, dropout);
    state = result.state;
    outputs.push(result.attentional);
  }
  return tf.stack(outputs, 1) as tf.Tensor3D;
}

/**
 * One decoder step for all rows: the LSTM stack, attention and h̃ₜ (dropout applied).
 * @param embedded embeddings of the previous target tokens, [batch, emb]
 * @param options.incremental decoding (no gradient needed): Luong attention then runs as one
 *   fused kernel (kernels/decodeKernels.ts) where the backend has it
 * @returns h̃ₜ [batch, attentionalUnits], attention weights [batch, srcLen] and the next state
 */
export function decoderStep(
  config: ModelConfig,
  weights: NetworkWeights,
  encoder: EncoderState,
  embedded: tf.Tensor2D,
  state: DecoderState,
  dropout: Dropout,
  options: { incremental?: boolean } = {},
): { attentional: tf.Tensor2D; attention: tf.Tensor2D; state: DecoderState } {
  const hs = unstack<tf.Tensor2D>(state.h);
  const cs = unstack<tf.Tensor2D>(state.c);
  let input: tf.Tensor2D =
    config.inputFeeding && state.attentional ? tf.concat([embedded, state.attentional], 1) : embedded;
  const next: LstmState[] = [];
  weights.decoder.forEach((layer, index) => {
    const projection = matMul2d(input, layer.kernel, layer.bias);
    const layerState = lstmStep(projection, { h: hs[index], c: cs[index] }, layer.recurrent);
    next.push(layerState);
    input = layerState.h;
  });
  const { attentional, attention } =
    options.incremental && config.attention === 'luong-general' && fusedKernelsActive()
      ? attendOneStep(input, encoder, weights)
      : attendInGraph(input, encoder, weights, dropout);
  return {
    attentional,
    attention,
    state: {
      h: tf.stack(next.map((s) => s.h)) as tf.Tensor3D,
      c: tf.stack(next.map((s) => s.c)) as tf.Tensor3D,
      attentional: config.inputFeeding ? attentional : undefined,
    },
  };
}

/** Attention for one step through the training graph's `attend`: h̃ₜ [batch, att], weights [batch, srcLen]. */
function attendInGraph(
  output: tf.Tensor2D,
  encoder: EncoderState,
  weights: NetworkWeights,
  dropout: Dropout,
): { attentional: tf.Tensor2D; attention: tf.Tensor2D } {
  const query = tf.expandDims(output, 1) as tf.Tensor3D; // [batch, 1, dec]
  const result = attend(query, encoder.keys, encoder.values, encoder.mask, weights.attention);
  return {
    attentional: dropout(tf.squeeze(result.attentional, [1])) as tf.Tensor2D,
    attention: tf.squeeze(result.weights, [1]) as tf.Tensor2D,
  };
}

/** The same for decoding (no dropout, no gradient): one fused kernel, then h̃ₜ = tanh(W_c [c; h]). */
function attendOneStep(
  output: tf.Tensor2D,
  encoder: EncoderState,
  weights: NetworkWeights,
): { attentional: tf.Tensor2D; attention: tf.Tensor2D } {
  const { combined, weights: attention } = attentionStep(output, encoder.keys, encoder.values, encoder.mask);
  return { attentional: tf.tanh(matMul2d(combined, weights.attention.combineKernel)), attention };
}

/** The decoder state of the given rows (beam reordering): rows [newBatch] indices into batch. */
export function selectDecoderRows(state: DecoderState, rows: Int32Array | tf.Tensor1D): DecoderState {
  return tidyObject(() => {
    const index = rows instanceof tf.Tensor ? rows : tf.tensor1d(rows, 'int32');
    return {
      h: tf.gather(state.h, index, 1),
      c: tf.gather(state.c, index, 1),
      attentional: state.attentional ? tf.gather(state.attentional, index) : undefined,
    };
  });
}

/** Disposes every tensor of a decoder state. */
export function disposeDecoderState(state: DecoderState): void {
  tf.dispose([state.h, state.c]);
  if (state.attentional) state.attentional.dispose();
}
