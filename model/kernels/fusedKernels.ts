import * as tf from '@tensorflow/tfjs';
import { KernelIo, type JsKernelBackend } from './kernelIo.js';
import { registerCopyKernels } from './copyKernels.js';
import { attentionStepKernel, decoderStepKernel } from './decodeKernels.js';
import { registerNativeElementwiseKernels } from './nativeElementwise.js';
import { nativeKernels } from './nativeAddon.js';
import { dropoutKernel } from './dropoutKernel.js';
import { outputLossKernel } from './outputLossKernel.js';
import { lstmSequenceGradKernel, lstmSequenceKernel } from './sequenceKernels.js';

/**
 * Fused kernels written in JS over typed arrays, registered for wasm and cpu. Each replaces a
 * chain of small tfjs ops (each with its own dispatch, allocation and, on wasm, strided slices)
 * by one pass over the data. `ops` in lstm.ts/loss.ts fall back to plain tfjs ops on backends
 * without these kernels (tfjs-node), and tests check both paths agree.
 *
 * - `SubflowLstmCell`: one LSTM step after the matMuls, with row masking.
 * - `SubflowLstmCellGrad`: its gradient.
 * - `SubflowSmoothedXent`: label-smoothed cross-entropy per token and its gradient in one pass.
 * - `SubflowLogSoftmax`: row-wise log-softmax in one pass (decoding; tfjs composes it of five ops).
 * - `SubflowAdam`, `SubflowSumOfSquares`: the optimiser's update and the gradient norm, one pass
 *   per variable instead of eight full-size temporaries.
 * - `SubflowAttentionStep`, `SubflowDecoderStep` (decodeKernels.ts): one decoding step of Luong
 *   attention, and of the whole one-layer decoder (native only).
 * - `SubflowLstmSequence`, `SubflowLstmSequenceGrad` (sequenceKernels.ts): a whole LSTM direction
 *   and its backpropagation through time in one call each (native only).
 * - `SubflowOutputLoss` (outputLossKernel.ts): the output layer, the loss and their gradients of a
 *   training step in one call (native only).
 * - `SubflowDropout` (dropoutKernel.ts): dropout with a mask hashed from (seed, index), so its
 *   gradient needs no saved mask (native only).
 *
 * The LSTM cell, its gradient and the log-softmax run in C when the native addon is built
 * (nativeAddon.ts: a vectorised polynomial exp instead of Math.exp, 3–4× faster); the JS loops
 * below are the reference the tests hold the C code to.
 */

type KernelArgs = Parameters<tf.KernelFunc>[0];

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * Forward LSTM cell. Inputs: projection x·W+b [B,4H], recurrent h·U [B,4H], state [2,B,H]
 * (h then c), mask [B] (1 real, 0 padded). Output: next state [2,B,H]; a masked row keeps its
 * state. Gate order [input, forget, output, cell].
 */
function lstmCell(backendName: JsKernelBackend) {
  return ({ inputs, backend }: KernelArgs): tf.TensorInfo[] => {
    const { projection, recurrent, state, mask } = inputs as Record<string, tf.TensorInfo>;
    const [, batch, units] = state.shape;
    const io = new KernelIo(backend, backendName);
    const {
      inputs: views,
      outputs,
      infos,
    } = io.views([projection, recurrent, state, mask], [{ shape: state.shape, dtype: 'float32' }]);
    const [xp, hu, s, m] = views;
    const out = outputs[0];
    const native = nativeKernels();
    if (native) {
      native.lstmCell(
        xp as Float32Array,
        hu as Float32Array,
        s as Float32Array,
        m as Float32Array,
        out as Float32Array,
        batch,
        units,
      );
      return io.result(infos);
    }
    const cOffset = batch * units;
    for (let b = 0; b < batch; b++) {
      const zRow = b * 4 * units;
      const sRow = b * units;
      if (m[b] === 0) {
        for (let j = 0; j < units; j++) {
          out[sRow + j] = s[sRow + j];
          out[cOffset + sRow + j] = s[cOffset + sRow + j];
        }
        continue;
      }
      for (let j = 0; j < units; j++) {
        const i = sigmoid(xp[zRow + j] + hu[zRow + j]);
        const f = sigmoid(xp[zRow + units + j] + hu[zRow + units + j]);
        const o = sigmoid(xp[zRow + 2 * units + j] + hu[zRow + 2 * units + j]);
        const g = Math.tanh(xp[zRow + 3 * units + j] + hu[zRow + 3 * units + j]);
        const c = f * s[cOffset + sRow + j] + i * g;
        out[cOffset + sRow + j] = c;
        out[sRow + j] = o * Math.tanh(c);
      }
    }
    return io.result(infos);
  };
}

/**
 * Gradient of `SubflowLstmCell`. Inputs: dState [2,B,H] and the forward inputs. Outputs:
 * dz [B,4H] (the gradient of both projection and recurrent), dStatePrevious [2,B,H].
 */
function lstmCellGrad(backendName: JsKernelBackend) {
  return ({ inputs, backend }: KernelArgs): tf.TensorInfo[] => {
    const { dState, projection, recurrent, state, mask } = inputs as Record<string, tf.TensorInfo>;
    const [, batch, units] = state.shape;
    const io = new KernelIo(backend, backendName);
    const {
      inputs: views,
      outputs,
      infos,
    } = io.views(
      [dState, projection, recurrent, state, mask],
      [
        { shape: projection.shape, dtype: 'float32' },
        { shape: state.shape, dtype: 'float32' },
      ],
    );
    const [ds, xp, hu, s, m] = views;
    const [dz, dPrev] = outputs;
    const native = nativeKernels();
    if (native) {
      const f32 = (a: tf.TypedArray): Float32Array => a as Float32Array;
      native.lstmCellGrad(f32(ds), f32(xp), f32(hu), f32(s), f32(m), f32(dz), f32(dPrev), batch, units);
      return io.result(infos);
    }
    const cOffset = batch * units;
    for (let b = 0; b < batch; b++) {
      const zRow = b * 4 * units;
      const sRow = b * units;
      if (m[b] === 0) {
        for (let j = 0; j < units; j++) {
          dPrev[sRow + j] = ds[sRow + j];
          dPrev[cOffset + sRow + j] = ds[cOffset + sRow + j];
        }
        dz.fill(0, zRow, zRow + 4 * units);
        continue;
      }
      for (let j = 0; j < units; j++) {
        const i = sigmoid(xp[zRow + j] + hu[zRow + j]);
        const f = sigmoid(xp[zRow + units + j] + hu[zRow + units + j]);
        const o = sigmoid(xp[zRow + 2 * units + j] + hu[zRow + 2 * units + j]);
        const g = Math.tanh(xp[zRow + 3 * units + j] + hu[zRow + 3 * units + j]);
        const cPrev = s[cOffset + sRow + j];
        const tanhC = Math.tanh(f * cPrev + i * g);
        const dh = ds[sRow + j];
        const dc = ds[cOffset + sRow + j] + dh * o * (1 - tanhC * tanhC);
        dz[zRow + j] = dc * g * i * (1 - i);
        dz[zRow + units + j] = dc * cPrev * f * (1 - f);
        dz[zRow + 2 * units + j] = dh * tanhC * o * (1 - o);
        dz[zRow + 3 * units + j] = dc * i * (1 - g * g);
        dPrev[cOffset + sRow + j] = dc * f;
        // h enters the step only through `recurrent` (h·U), whose gradient the caller
        // propagates with a matMul.
        dPrev[sRow + j] = 0;
      }
    }
    return io.result(infos);
  };
}

/**
 * Label-smoothed cross-entropy. Inputs: logits [N,V], targets [N] int32, weights [N] (0 for PAD,
 * 1/count otherwise). Attr smoothing ε. Outputs: weighted loss per token [N] and its gradient
 * w.r.t. the logits [N,V]: w·(softmax(z) − ε/V − (1−ε)·[k = y]). The softmax is computed here,
 * into the gradient's memory, so no [N,V] probability tensor is kept.
 */
function smoothedXent(backendName: JsKernelBackend) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const { logits, targets, weights } = inputs as Record<string, tf.TensorInfo>;
    const smoothing = (attrs as { smoothing: number }).smoothing;
    const [tokens, vocab] = logits.shape;
    const io = new KernelIo(backend, backendName);
    const {
      inputs: views,
      outputs,
      infos,
    } = io.views(
      [logits, targets, weights],
      [
        { shape: [tokens], dtype: 'float32' },
        { shape: logits.shape, dtype: 'float32' },
      ],
    );
    const [z, y, w] = views;
    const [loss, grad] = outputs;
    const native = nativeKernels();
    if (native) {
      native.smoothedXent(
        z as Float32Array,
        y as Int32Array,
        w as Float32Array,
        loss as Float32Array,
        grad as Float32Array,
        tokens,
        vocab,
        smoothing,
      );
      return io.result(infos);
    }
    const uniform = smoothing / vocab;
    for (let n = 0; n < tokens; n++) {
      const weight = w[n];
      const row = n * vocab;
      if (weight === 0) {
        // PAD: no loss, zero gradient
        loss[n] = 0;
        grad.fill(0, row, row + vocab);
        continue;
      }
      let max = -Infinity;
      for (let k = 0; k < vocab; k++) if (z[row + k] > max) max = z[row + k];
      let sumExp = 0;
      let sum = 0;
      for (let k = 0; k < vocab; k++) {
        const e = Math.exp(z[row + k] - max);
        grad[row + k] = e;
        sumExp += e;
        sum += z[row + k];
      }
      for (let k = 0; k < vocab; k++) grad[row + k] = weight * (grad[row + k] / sumExp - uniform);
      const gold = y[n];
      grad[row + gold] -= weight * (1 - smoothing);
      const logSumExp = max + Math.log(sumExp);
      loss[n] = weight * (logSumExp - (1 - smoothing) * z[row + gold] - uniform * sum);
    }
    return io.result(infos);
  };
}

/**
 * One Adam update of a variable in one pass (Kingma & Ba 2015, with the bias corrections folded into
 * stepSize): m' = β₁m + (1−β₁)·s·g, v' = β₂v + (1−β₂)·s²·g², w' = w − stepSize·m'/(√v' + ε), where s
 * is the gradient-clipping factor. Inputs: variable, gradient, m, v (same shape). Outputs: w', m',
 * v'. tfjs ops would make eight full-size temporaries per variable.
 */
function adamUpdate(backendName: JsKernelBackend) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const { variable, gradient, m, v } = inputs as Record<string, tf.TensorInfo>;
    const { beta1, beta2, gradScale, stepSize, epsilon } = attrs as Record<string, number>;
    const io = new KernelIo(backend, backendName);
    const shape = { shape: variable.shape, dtype: 'float32' as const };
    const { inputs: views, outputs, infos } = io.views([variable, gradient, m, v], [shape, shape, shape]);
    const [w, g, m0, v0] = views;
    const [wOut, mOut, vOut] = outputs;
    const native = nativeKernels();
    if (native) {
      const [fw, fg, fm, fv, fwOut, fmOut, fvOut] = [w, g, m0, v0, wOut, mOut, vOut] as Float32Array[];
      native.adam(fw, fg, fm, fv, fwOut, fmOut, fvOut, beta1, beta2, gradScale, stepSize, epsilon);
      return io.result(infos);
    }
    const gm = (1 - beta1) * gradScale;
    const gv = (1 - beta2) * gradScale * gradScale;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      const mi = beta1 * m0[i] + gm * gi;
      const vi = beta2 * v0[i] + gv * gi * gi;
      mOut[i] = mi;
      vOut[i] = vi;
      wOut[i] = w[i] - (stepSize * mi) / (Math.sqrt(vi) + epsilon);
    }
    return io.result(infos);
  };
}

/** Σx² of a float32 tensor as a [1] tensor, accumulated in double precision. */
function sumOfSquares(backendName: JsKernelBackend) {
  return ({ inputs, backend }: KernelArgs): tf.TensorInfo[] => {
    const { x } = inputs as { x: tf.TensorInfo };
    const io = new KernelIo(backend, backendName);
    const { inputs: views, outputs, infos } = io.views([x], [{ shape: [1], dtype: 'float32' }]);
    const values = views[0];
    const native = nativeKernels();
    if (native) {
      outputs[0][0] = native.sumOfSquares(values as Float32Array);
      return io.result(infos);
    }
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
    outputs[0][0] = sum;
    return io.result(infos);
  };
}

/** Row-wise log-softmax. Input: x [N,V]. Output: x − logΣexp(x) per row, [N,V]. */
function logSoftmax(backendName: JsKernelBackend) {
  return ({ inputs, backend }: KernelArgs): tf.TensorInfo[] => {
    const { x } = inputs as { x: tf.TensorInfo };
    const [rows, cols] = x.shape;
    const io = new KernelIo(backend, backendName);
    const { inputs: views, outputs, infos } = io.views([x], [{ shape: x.shape, dtype: 'float32' }]);
    const [values] = views;
    const [out] = outputs;
    const native = nativeKernels();
    if (native) {
      native.logSoftmax(values as Float32Array, out as Float32Array, rows, cols);
      return io.result(infos);
    }
    for (let r = 0; r < rows; r++) {
      const row = r * cols;
      let max = -Infinity;
      for (let k = 0; k < cols; k++) if (values[row + k] > max) max = values[row + k];
      let sum = 0;
      for (let k = 0; k < cols; k++) sum += Math.exp(values[row + k] - max);
      const shift = max + Math.log(sum);
      for (let k = 0; k < cols; k++) out[row + k] = values[row + k] - shift;
    }
    return io.result(infos);
  };
}

const FUSED: { name: string; make: (backend: JsKernelBackend) => tf.KernelFunc }[] = [
  { name: 'SubflowLstmCell', make: lstmCell },
  { name: 'SubflowLstmCellGrad', make: lstmCellGrad },
  { name: 'SubflowSmoothedXent', make: smoothedXent },
  { name: 'SubflowLogSoftmax', make: logSoftmax },
  { name: 'SubflowAdam', make: adamUpdate },
  { name: 'SubflowSumOfSquares', make: sumOfSquares },
  { name: 'SubflowAttentionStep', make: attentionStepKernel },
  { name: 'SubflowDecoderStep', make: decoderStepKernel },
  { name: 'SubflowLstmSequence', make: lstmSequenceKernel },
  { name: 'SubflowLstmSequenceGrad', make: lstmSequenceGradKernel },
  { name: 'SubflowOutputLoss', make: outputLossKernel },
  { name: 'SubflowDropout', make: dropoutKernel },
];

/** Names of the fused kernels (registered for wasm and cpu). */
export const FUSED_KERNELS: readonly string[] = FUSED.map((k) => k.name);

/**
 * Registers the fused kernels for wasm and cpu, the block-copy kernels of copyKernels.ts and the
 * native Tanh of nativeElementwise.ts.
 * Idempotent. Safe to call before the wasm backend is loaded: registration only records the functions.
 */
export function registerFusedKernels(): void {
  for (const backendName of ['wasm', 'cpu'] as const) {
    for (const { name, make } of FUSED) {
      if (tf.getKernel(name, backendName) === undefined) {
        tf.registerKernel({ kernelName: name, backendName, kernelFunc: make(backendName) });
      }
    }
  }
  registerCopyKernels();
  registerNativeElementwiseKernels();
}

let fusedEnabled = true;

/**
 * Turns the fused kernels off (plain tfjs ops everywhere) or back on; for tests that check both
 * paths agree, and for ruling the fused path out when debugging.
 */
export function setFusedKernelsEnabled(enabled: boolean): void {
  fusedEnabled = enabled;
}

/**
 * log-softmax over the last axis of a 2-D tensor: the fused kernel where it is registered, tfjs'
 * composed op elsewhere (tfjs-node). Not differentiable through the fused path (decoding only).
 * @param logits [rows, vocab]
 * @returns [rows, vocab]
 */
export function logSoftmaxRows(logits: tf.Tensor2D): tf.Tensor2D {
  if (!fusedKernelsActive()) return tf.logSoftmax(logits);
  return (tf.engine().runKernel('SubflowLogSoftmax', { x: logits }, {}) as tf.Tensor[])[0] as tf.Tensor2D;
}

/** True when the fused kernels are enabled and the active backend has them (wasm, cpu). */
export function fusedKernelsActive(): boolean {
  return fusedEnabled && tf.getKernel('SubflowLstmCell', tf.getBackend()) !== undefined;
}
