import * as tf from '@tensorflow/tfjs';
import { attentionKeys } from './attention.js';
import { matMul2d } from './dense.js';
import { lengthMask } from './encoder.js';
import { runLstm } from './lstm.js';
import { networkWeights } from './parameters.js';
import { isEmbedding, quantizeRowsGptq, quantizeVariable, type QuantizedMatrix } from './quantize.js';
import type { ModelConfig } from './config.js';
import type { Seq2Seq } from './seq2seq.js';
import { BOS_ID } from '../types.js';

/**
 * Calibrated int8 quantisation (`export-model --dtype int8 --calibration FILE`): GPTQ (quantize.ts)
 * with, for each matrix used as x·W, the Hessian Σ xᵀx [k, k] of the inputs x it sees when the model
 * reads calibration sentence pairs (teacher-forced, no dropout). An embedding row e feeds the next
 * matrix W as e·W, so its Hessian is W·Wᵀ. Only one-layer Luong models without input feeding (the
 * layout the native int8 decoder step runs) are supported.
 */

/** A Hessian Σ xᵀx [k, k] and how many input rows went into it. */
export interface InputStatistics {
  k: number;
  hessian: Float64Array;
  rows: number;
}

/**
 * Accumulates the input Hessian of every x·W matrix of a one-layer Luong model over `pairs`
 * (source ids [S], target ids [T] without BOS; EOS may end them), one sentence at a time.
 */
export function collectInputStatistics(
  model: Seq2Seq,
  pairs: readonly { source: Int32Array; target: Int32Array }[],
): Map<string, InputStatistics> {
  const weights = networkWeights(model.config, model.variables);
  const grams = new Map<string, { k: number; sum: tf.Tensor2D; rows: number }>();
  const add = (name: string, x: tf.Tensor): void => {
    const k = x.shape[x.shape.length - 1]!;
    const rows = x.size / k;
    const flat = tf.reshape(x, [rows, k]) as tf.Tensor2D;
    const gram = tf.matMul(flat, flat, true, false);
    const entry = grams.get(name);
    const sum = tf.keep(entry ? tf.add(entry.sum, gram) : gram) as tf.Tensor2D;
    entry?.sum.dispose();
    grams.set(name, { k, sum, rows: (entry?.rows ?? 0) + rows });
  };
  const [encoder] = weights.encoder;
  const [decoder] = weights.decoder;
  const sorted = [...pairs].sort((a, b) => a.source.length - b.source.length);
  for (let at = 0; at < sorted.length; at += BATCH) {
    const batch = sorted.slice(at, at + BATCH);
    tf.tidy(() => {
      const rows = batch.length;
      const srcMax = Math.max(...batch.map((p) => p.source.length));
      const tgtMax = Math.max(...batch.map((p) => p.target.length));
      const src = new Int32Array(rows * srcMax);
      const tgtIn = new Int32Array(rows * tgtMax);
      batch.forEach((p, r) => {
        src.set(p.source, r * srcMax);
        tgtIn[r * tgtMax] = BOS_ID;
        tgtIn.set(p.target.subarray(0, Math.min(p.target.length, tgtMax) - 1), r * tgtMax + 1);
      });
      const srcMask = lengthMask(
        batch.map((p) => p.source.length),
        srcMax,
      );
      const tgtMask = lengthMask(
        batch.map((p) => p.target.length),
        tgtMax,
      );
      // Padded positions contribute zero rows, so they add nothing to Σ xᵀx.
      const masked = (x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor3D => tf.mul(x, tf.expandDims(mask, 2));
      const embedded = tf.gather(
        weights.sourceEmbedding,
        tf.tensor2d(src, [rows, srcMax], 'int32'),
      ) as unknown as tf.Tensor3D;
      const zeros = tf.zeros([rows, model.config.encoderUnits]) as tf.Tensor2D;
      const initial = { h: zeros, c: zeros };
      const fwd = runLstm(embedded, encoder.fwd, initial, { mask: srcMask });
      const bwd = runLstm(embedded, encoder.bwd, initial, { mask: srcMask, reverse: true });
      add('encoder/l0/fwd/kernel', masked(embedded, srcMask));
      add('encoder/l0/bwd/kernel', masked(embedded, srcMask));
      // The recurrent input at a step is the previous step's output (the first one is zero).
      const values = masked(tf.concat([fwd.outputs, bwd.outputs], 2) as tf.Tensor3D, srcMask);
      const [fwdOut, bwdOut] = tf.split(values, 2, 2);
      add('encoder/l0/fwd/recurrent', fwdOut);
      add('encoder/l0/bwd/recurrent', bwdOut);
      const finalH = tf.concat([fwd.h, bwd.h], 1) as tf.Tensor2D;
      const finalC = tf.concat([fwd.c, bwd.c], 1) as tf.Tensor2D;
      add('bridge/h/kernel', finalH);
      add('bridge/c/kernel', finalC);
      add('attention/key', values);
      const h0 = tf.tanh(matMul2d(finalH, weights.bridge.hKernel, weights.bridge.hBias)) as tf.Tensor2D;
      const c0 = tf.tanh(matMul2d(finalC, weights.bridge.cKernel, weights.bridge.cBias)) as tf.Tensor2D;
      const targetEmbedded = tf.gather(
        weights.targetEmbedding,
        tf.tensor2d(tgtIn, [rows, tgtMax], 'int32'),
      ) as unknown as tf.Tensor3D;
      add('decoder/l0/kernel', masked(targetEmbedded, tgtMask));
      const run = runLstm(targetEmbedded, decoder, { h: h0, c: c0 });
      const outputs = masked(run.outputs, tgtMask);
      add('decoder/l0/recurrent', h0);
      add('decoder/l0/recurrent', masked(outputs, shifted(tgtMask)));
      const { combined } = attendAll(run.outputs, attentionKeys(values, weights.attention), values, srcMask);
      const combinedMasked = masked(combined, tgtMask);
      add('attention/combine', combinedMasked);
      const flat = tf.reshape(combinedMasked, [rows * tgtMax, -1]) as tf.Tensor2D;
      add('decoder/out/kernel', tf.tanh(matMul2d(flat, weights.attention.combineKernel)));
    });
  }
  return new Map(
    [...grams].map(([name, { k, sum, rows }]) => {
      const hessian = Float64Array.from(sum.dataSync());
      sum.dispose();
      return [name, { k, hessian, rows }];
    }),
  );
}

const BATCH = 32;

/** [rows, t] mask with each row's last real position cleared (outputs that feed no later step). */
function shifted(mask: tf.Tensor2D): tf.Tensor2D {
  const [rows, time] = mask.shape;
  const next = tf.concat([tf.slice(mask, [0, 1], [rows, time - 1]), tf.zeros([rows, 1])], 1);
  return tf.mul(mask, next);
}

/** Luong attention of every step: [context; h] [rows, t, values + units]. */
function attendAll(
  queries: tf.Tensor3D,
  keys: tf.Tensor3D,
  values: tf.Tensor3D,
  mask: tf.Tensor2D,
): { combined: tf.Tensor3D } {
  const scores = tf.matMul(queries, keys, false, true);
  const penalty = tf.mul(tf.sub(1, tf.expandDims(mask, 1)), -1e9);
  const context = tf.matMul(tf.softmax(tf.add(scores, penalty)), values);
  return { combined: tf.concat([context, queries], 2) as tf.Tensor3D };
}

/** Why `config` cannot be calibrated, or undefined when it can. */
export function calibrationUnsupported(config: ModelConfig): string | undefined {
  const { attention, encoderLayers, decoderLayers, inputFeeding } = config;
  if (attention === 'luong-general' && encoderLayers === 1 && decoderLayers === 1 && !inputFeeding)
    return undefined;
  return `calibration handles one-layer Luong models without input feeding (this one: ${encoderLayers} encoder and ${decoderLayers} decoder layers, ${attention} attention${inputFeeding ? ', input feeding' : ''})`;
}

/** Matrices an embedding's rows are multiplied with, by embedding name. */
const EMBEDDING_CONSUMERS: Record<string, string[]> = {
  'source/embedding': ['encoder/l0/fwd/kernel', 'encoder/l0/bwd/kernel'],
  'target/embedding': ['decoder/l0/kernel'],
};

/**
 * Every matrix of `model` quantised to int8 by GPTQ on `stats` (collectInputStatistics): the
 * stored form quantize.ts's quantizeVariable gives, with better-chosen integers.
 */
export function quantizeCalibrated(
  model: Seq2Seq,
  stats: ReadonlyMap<string, InputStatistics>,
): Map<string, QuantizedMatrix> {
  const values = new Map(
    [...model.variables].map(([name, variable]) => [name, variable.dataSync() as Float32Array]),
  );
  const out = new Map<string, QuantizedMatrix>();
  for (const [name, variable] of model.variables) {
    if (variable.shape.length !== 2) continue;
    const [rows, cols] = variable.shape as [number, number];
    const w = values.get(name)!;
    if (isEmbedding(name)) {
      const consumers = EMBEDDING_CONSUMERS[name] ?? [];
      if (consumers.length === 0) {
        out.set(name, quantizeVariable(name, variable.shape, w));
        continue;
      }
      const hessian = new Float64Array(cols * cols);
      for (const consumer of consumers) addGram(hessian, values.get(consumer)!, cols);
      out.set(name, { n: rows, k: cols, ...quantizeRowsGptq(w, rows, cols, hessian), transposed: false });
      continue;
    }
    const entry = stats.get(name);
    if (entry === undefined || entry.k !== rows) {
      out.set(name, quantizeVariable(name, variable.shape, w));
      continue;
    }
    const transposed = new Float32Array(rows * cols);
    for (let p = 0; p < rows; p++) for (let j = 0; j < cols; j++) transposed[j * rows + p] = w[p * cols + j];
    out.set(name, {
      n: cols,
      k: rows,
      ...quantizeRowsGptq(transposed, cols, rows, entry.hessian),
      transposed: true,
    });
  }
  return out;
}

/** hessian [k, k] += W·Wᵀ for W [k, m] row-major. */
function addGram(hessian: Float64Array, w: Float32Array, k: number): void {
  const m = w.length / k;
  for (let i = 0; i < k; i++)
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let o = 0; o < m; o++) sum += w[i * m + o] * w[j * m + o];
      hessian[i * k + j] += sum;
      if (j !== i) hessian[j * k + i] += sum;
    }
}
