import * as tf from '@tensorflow/tfjs';
import { matMul2d } from './dense.js';
import { attentionKeys } from './attention.js';
import type { ModelConfig } from './config.js';
import { tidyObject } from './ops.js';
import { runLstm } from './lstm.js';
import type { NetworkWeights } from './parameters.js';

/** What the decoder needs from the source side, for training and for incremental decoding. */
export interface EncoderState {
  /** Attention keys W_a·h_s (or W_k·h_s), [batch, srcLen, decUnits]. */
  keys: tf.Tensor3D;
  /** Encoder outputs [h_fwd; h_bwd] of the top layer, [batch, srcLen, 2·encUnits]. */
  values: tf.Tensor3D;
  /** 1 for real source tokens, 0 for padding (float32), [batch, srcLen]. */
  mask: tf.Tensor2D;
  /** Decoder initial hidden state from the bridge, [decoderLayers, batch, decUnits]. */
  h0: tf.Tensor3D;
  /** Decoder initial cell state from the bridge, [decoderLayers, batch, decUnits]. */
  c0: tf.Tensor3D;
}

/** A [batch, srcMax] float mask with 1 where position < srcLen[row]. */
export function lengthMask(srcLen: ArrayLike<number>, srcMax: number): tf.Tensor2D {
  const values = new Float32Array(srcLen.length * srcMax);
  for (let row = 0; row < srcLen.length; row++)
    values.fill(1, row * srcMax, row * srcMax + Math.min(srcLen[row], srcMax));
  return tf.tensor2d(values, [srcLen.length, srcMax]);
}

/**
 * Bidirectional LSTM encoder with padding masked, then the bridge
 * h0 = tanh(W_h [h_fwd; h_bwd] + b_h), c0 = tanh(W_c [c_fwd; c_bwd] + b_c) from the top layer's
 * final states, and the attention keys.
 * @param embedded source embeddings (dropout already applied), [batch, srcLen, emb]
 * @param mask     1 for real tokens, [batch, srcLen]
 */
export function encodeEmbedded(
  config: ModelConfig,
  weights: NetworkWeights,
  embedded: tf.Tensor3D,
  mask: tf.Tensor2D,
): EncoderState {
  const batch = embedded.shape[0];
  const zeros = tf.zeros([batch, config.encoderUnits]) as tf.Tensor2D;
  const initial = { h: zeros, c: zeros };
  let inputs = embedded;
  let finalH = zeros;
  let finalC = zeros;
  for (const layer of weights.encoder) {
    const fwd = runLstm(inputs, layer.fwd, initial, { mask });
    const bwd = runLstm(inputs, layer.bwd, initial, { mask, reverse: true });
    inputs = tf.concat([fwd.outputs, bwd.outputs], 2);
    finalH = tf.concat([fwd.h, bwd.h], 1);
    finalC = tf.concat([fwd.c, bwd.c], 1);
  }
  const layers = config.decoderLayers;
  const bridge = (final: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor3D => {
    const flat = tf.tanh(matMul2d(final, kernel, bias)); // [batch, layers·dec]
    return tf.transpose(tf.reshape(flat, [batch, layers, config.decoderUnits]), [1, 0, 2]);
  };
  return {
    keys: attentionKeys(inputs, weights.attention),
    values: inputs,
    mask,
    h0: bridge(finalH, weights.bridge.hKernel, weights.bridge.hBias),
    c0: bridge(finalC, weights.bridge.cKernel, weights.bridge.cBias),
  };
}

/**
 * The encoder state of the given rows, in the given order: repeat each sentence k times for a
 * beam (`rows = [0,0,…,1,1,…]`) or reorder/drop sentences. rows: [newBatch] indices into batch.
 */
export function selectEncoderRows(state: EncoderState, rows: Int32Array | tf.Tensor1D): EncoderState {
  return tidyObject(() => {
    const index = rows instanceof tf.Tensor ? rows : tf.tensor1d(rows, 'int32');
    return {
      keys: tf.gather(state.keys, index),
      values: tf.gather(state.values, index),
      mask: tf.gather(state.mask, index),
      h0: tf.gather(state.h0, index, 1),
      c0: tf.gather(state.c0, index, 1),
    };
  });
}

/** Disposes every tensor of an encoder state. */
export function disposeEncoderState(state: EncoderState): void {
  tf.dispose([state.keys, state.values, state.mask, state.h0, state.c0]);
}
