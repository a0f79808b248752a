import * as tf from '@tensorflow/tfjs';
import { matMul2d } from './dense.js';
import { reshape } from './ops.js';
import type { AttentionKind } from './config.js';

/** Weights of the attention and the attentional layer. */
export interface AttentionWeights {
  kind: AttentionKind;
  /** Luong: W_a, [2·encUnits, decUnits]. Bahdanau: W_k, [2·encUnits, decUnits]. */
  keyKernel: tf.Tensor2D;
  /** Bahdanau only: W_q, [decUnits, decUnits]. */
  queryKernel?: tf.Tensor2D;
  /** Bahdanau only: v, [decUnits, 1]. */
  scoreVector?: tf.Tensor2D;
  /** W_c, [2·encUnits + decUnits, attentionalUnits] (no bias, as the peer). */
  combineKernel: tf.Tensor2D;
}

/** Large negative score for padded source positions: exp() underflows to exactly 0. */
const MASKED_SCORE = -1e9;

/**
 * Keys computed once per source sentence: W_a·h_s (Luong general) or W_k·h_s (Bahdanau).
 * @param values encoder outputs, [batch, srcLen, 2·encUnits]
 * @returns [batch, srcLen, decUnits]
 */
export function attentionKeys(values: tf.Tensor3D, weights: AttentionWeights): tf.Tensor3D {
  const [batch, srcLen, size] = values.shape;
  const keys = matMul2d(reshape(values, [batch * srcLen, size]), weights.keyKernel);
  return reshape(keys, [batch, srcLen, weights.keyKernel.shape[1]]);
}

/**
 * Attention for all target steps at once (Luong et al. 2015, §3.1; Bahdanau et al. 2015).
 * Luong general: score(h_t, h_s) = h_tᵀ W_a h_s as one batched matMul; Bahdanau:
 * vᵀ tanh(W_q h_t + W_k h_s). Softmax over source positions with padding masked, context
 * c_t = Σ a_ts h_s, attentional vector h̃_t = tanh(W_c [c_t; h_t]).
 * @param queries decoder states,              [batch, tgtLen, decUnits]
 * @param keys    from `attentionKeys`,         [batch, srcLen, decUnits]
 * @param values  encoder outputs,              [batch, srcLen, 2·encUnits]
 * @param mask    1 for real source tokens,     [batch, srcLen]
 * @returns attentional h̃ [batch, tgtLen, attentionalUnits] and weights [batch, tgtLen, srcLen]
 */
export function attend(
  queries: tf.Tensor3D,
  keys: tf.Tensor3D,
  values: tf.Tensor3D,
  mask: tf.Tensor2D,
  weights: AttentionWeights,
): { attentional: tf.Tensor3D; weights: tf.Tensor3D } {
  const [batch, tgtLen] = queries.shape;
  const scores =
    weights.kind === 'bahdanau'
      ? additiveScores(queries, keys, weights)
      : tf.matMul(queries, keys, false, true);
  // (1 − mask)·(−1e9), broadcast over target steps: [batch, 1, srcLen].
  const penalty = tf.mul(tf.sub(1, tf.expandDims(mask, 1)), MASKED_SCORE);
  const attention = tf.softmax(tf.add(scores, penalty)) as tf.Tensor3D;
  const context = tf.matMul(attention, values);
  const combined = tf.concat([context, queries], 2);
  const flat = reshape<tf.Tensor2D>(combined, [batch * tgtLen, (combined as tf.Tensor3D).shape[2]]);
  const attentional = tf.tanh(matMul2d(flat, weights.combineKernel));
  return {
    attentional: reshape(attentional, [batch, tgtLen, weights.combineKernel.shape[1]]),
    weights: attention,
  };
}

/** Bahdanau scores vᵀ tanh(W_q h_t + W_k h_s), [batch, tgtLen, srcLen]. */
function additiveScores(queries: tf.Tensor3D, keys: tf.Tensor3D, weights: AttentionWeights): tf.Tensor3D {
  if (!weights.queryKernel || !weights.scoreVector) throw new Error('bahdanau attention needs W_q and v');
  const [batch, tgtLen, decUnits] = queries.shape;
  const srcLen = keys.shape[1];
  const projected = reshape(matMul2d(reshape(queries, [batch * tgtLen, decUnits]), weights.queryKernel), [
    batch,
    tgtLen,
    1,
    decUnits,
  ]);
  const hidden = tf.tanh(tf.add(projected, tf.expandDims(keys, 1))); // [batch, tgtLen, srcLen, dec]
  const scores = matMul2d(reshape(hidden, [batch * tgtLen * srcLen, decUnits]), weights.scoreVector);
  return reshape(scores, [batch, tgtLen, srcLen]);
}
