import * as tf from '@tensorflow/tfjs';
import { KernelIo, type JsKernelBackend } from './kernelIo.js';
import { nativeKernels } from './nativeAddon.js';
import type { PackedDecoderWeights } from './packedKernels.js';

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The score padded source positions get, as attention.ts's training graph adds it. */
const MASKED_SCORE = -1e9;

/**
 * One incremental decoding step of Luong general attention for every row, in one pass instead of
 * the training graph's dozen ops (two batched products, mask arithmetic, softmax, concat), each
 * with its own dispatch and allocation. Inputs: query h_t [R, D], keys W_a·h_s [R, S, D], values
 * h_s [R, S, E], mask [R, S] (1 real, 0 padded). Outputs: [context; query] [R, E + D] (the
 * attentional layer's input, in the training graph's concat order) and the weights [R, S].
 * No gradient: decoding only. In C when the native addon is built; the JS loop is its reference.
 */
export function attentionStepKernel(backendName: JsKernelBackend) {
  return ({ inputs, backend }: KernelArgs): tf.TensorInfo[] => {
    const { query, keys, values, mask } = inputs as Record<string, tf.TensorInfo>;
    const [rows, srcLen, dim] = keys.shape;
    const valueDim = values.shape[2];
    const io = new KernelIo(backend, backendName);
    const {
      inputs: views,
      outputs,
      infos,
    } = io.views(
      [query, keys, values, mask],
      [
        { shape: [rows, valueDim + dim], dtype: 'float32' },
        { shape: [rows, srcLen], dtype: 'float32' },
      ],
    );
    const [q, k, v, m] = views as Float32Array[];
    const [combined, weights] = outputs as Float32Array[];
    const native = nativeKernels();
    if (native) {
      native.attentionStep(q, k, v, m, combined, weights, rows, srcLen, dim, valueDim);
      return io.result(infos);
    }
    for (let r = 0; r < rows; r++) {
      let max = -Infinity;
      for (let s = 0; s < srcLen; s++) {
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += q[r * dim + j] * k[(r * srcLen + s) * dim + j];
        const score = dot + (1 - m[r * srcLen + s]) * MASKED_SCORE;
        weights[r * srcLen + s] = score;
        if (score > max) max = score;
      }
      let sum = 0;
      for (let s = 0; s < srcLen; s++) {
        const e = Math.exp(weights[r * srcLen + s] - max);
        weights[r * srcLen + s] = e;
        sum += e;
      }
      const out = r * (valueDim + dim);
      combined.fill(0, out, out + valueDim);
      for (let s = 0; s < srcLen; s++) {
        const a = weights[r * srcLen + s] / sum;
        weights[r * srcLen + s] = a;
        const at = (r * srcLen + s) * valueDim;
        for (let j = 0; j < valueDim; j++) combined[out + j] += a * v[at + j];
      }
      combined.set(q.subarray(r * dim, (r + 1) * dim), out + valueDim);
    }
    return io.result(infos);
  };
}

/**
 * Luong general attention for one decoding step through `SubflowAttentionStep` (callers check
 * `fusedKernelsActive()` first; not differentiable).
 * @param query decoder output h_t, [rows, decUnits]
 * @param keys  W_a·h_s, [rows, srcLen, decUnits]
 * @param values h_s, [rows, srcLen, 2·encUnits]
 * @param mask 1 real / 0 padded, [rows, srcLen]
 * @returns [context; query] [rows, 2·encUnits + decUnits] and the weights [rows, srcLen]
 */
export function attentionStep(
  query: tf.Tensor2D,
  keys: tf.Tensor3D,
  values: tf.Tensor3D,
  mask: tf.Tensor2D,
): { combined: tf.Tensor2D; weights: tf.Tensor2D } {
  const [combined, weights] = tf
    .engine()
    .runKernel('SubflowAttentionStep', { query, keys, values, mask }, {}) as tf.Tensor2D[];
  return { combined, weights };
}

/** The float inputs of `SubflowDecoderStep` in the native call's argument order. */
const DECODER_STEP_INPUTS = [
  'h',
  'c',
  'keys',
  'values',
  'mask',
  'embedding',
  'kernel',
  'recurrent',
  'bias',
  'combine',
  'outKernel',
  'outBias',
];

/**
 * One incremental decoding step of a one-layer LSTM decoder with Luong general attention (no input
 * feeding) for every row, in one native call: embedding lookup, z = x·W + b + h·U, the LSTM cell,
 * the attention step above, h̃ = tanh(W_c [c; h']) and logits = h̃·W_o + b_o — the same products and
 * loops as the op-by-op path, without its ~20 dispatches and allocations a step. Inputs: ids [R]
 * int32, h and c [1, R, D], keys [R, S, D], values [R, S, E], mask [R, S], then the weights.
 * Outputs: logits [R, V], h' and c' [1, R, D], attention [R, S]. attrs.packed (optional): [W; U],
 * W_c and W_o packed for the packed products (packedKernels.ts), used instead of cblas_sgemm.
 * attrs.stateRows (optional, Int32Array [R]): row r continues the state's row stateRows[r] (h and c
 * may then have any number of rows) — a beam's reordering without gathering a new state first;
 * attrs.encoderRows likewise picks the row of keys, values and mask that row r attends to. Needs
 * the native addon (callers check `nativeKernels()`).
 */
export function decoderStepKernel(backendName: JsKernelBackend) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const { packed, stateRows, encoderRows } = attrs as unknown as {
      packed?: PackedDecoderWeights;
      stateRows?: Int32Array;
      encoderRows?: Int32Array;
    };
    const all = inputs as Record<string, tf.TensorInfo>;
    const { ids, keys, values, embedding, combine, outKernel } = all;
    const rows = ids.shape[0];
    const [, srcLen, units] = keys.shape;
    const vocab = outKernel.shape[1];
    const io = new KernelIo(backend, backendName);
    const {
      inputs: views,
      outputs,
      infos,
    } = io.views(
      [ids, ...DECODER_STEP_INPUTS.map((name) => all[name])],
      [
        { shape: [rows, vocab], dtype: 'float32' },
        { shape: [1, rows, units], dtype: 'float32' },
        { shape: [1, rows, units], dtype: 'float32' },
        { shape: [rows, srcLen], dtype: 'float32' },
      ],
    );
    const native = nativeKernels();
    if (!native) throw new Error('SubflowDecoderStep needs the native addon');
    const [idView, ...floats] = views;
    native.decoderStep(
      idView as Int32Array,
      ...(floats as Float32Array[]),
      ...(outputs as Float32Array[]),
      rows,
      srcLen,
      embedding.shape[1],
      units,
      values.shape[2],
      combine.shape[1],
      vocab,
      stateRows ?? null,
      encoderRows ?? null,
      ...(packed ? [packed.gates, packed.combine, packed.out, packed.path] : []),
    );
    return io.result(infos);
  };
}
