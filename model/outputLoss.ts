import * as tf from '@tensorflow/tfjs';
import { blasKernelsActive } from './kernels/blasKernels.js';
import { outputLossKernelActive } from './kernels/outputLossKernel.js';
import { lossWeights } from './loss.js';
import { releaseEarly } from './ops.js';

/** Rows of logits made at a time: [256, 8000] is 8 MB, against 39 MB for a 1280-token batch. */
const CHUNK_ROWS = 256;

/**
 * The output projection and the label-smoothed cross-entropy as one op for training (the fused
 * linear cross-entropy of Liger Kernel): logits = h·W + b are made chunk by chunk of rows, each
 * chunk's loss and its gradients w.r.t. h, W and b are taken at once, and the chunk is freed. So
 * the [tokens, vocab] logits and their gradient — the two largest tensors of a step, and the
 * allocations that fragment the wasm heap — never exist whole. Same value and gradients as
 * `labelSmoothedCrossEntropy(matMul2d(h, W, b), …)` up to float rounding; needs the fused kernels
 * (wasm, cpu). With the native addon the whole op is one kernel call (`SubflowOutputLoss`, the
 * same chunks in C); the tfjs chunk loop below is its reference.
 * @param hidden  attentional vectors h̃, [tokens, units]
 * @param kernel  W_o, [units, vocab]
 * @param bias    b_o, [vocab]
 * @param targets gold ids, [tokens]; PAD tokens count for nothing
 * @returns the mean loss per non-PAD token, a scalar
 */
export function outputLayerLoss(
  hidden: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  targets: Int32Array,
  smoothing: number,
): tf.Scalar {
  const [tokens, units] = hidden.shape;
  const vocab = kernel.shape[1];
  const weights = lossWeights(targets);
  const blas = blasKernelsActive();
  const native = outputLossKernelActive();
  const op = tf.customGrad((hArg, wArg, bArg, save) => {
    const [h, w, b] = [hArg as tf.Tensor2D, wArg as tf.Tensor2D, bArg as tf.Tensor1D];
    if (native) {
      const [perToken, ...gradients] = tf.engine().runKernel(
        'SubflowOutputLoss',
        {
          hidden: h,
          kernel: w,
          bias: b,
          targets: tf.tensor1d(targets, 'int32'),
          weights: tf.tensor1d(weights),
        },
        { smoothing, chunkRows: CHUNK_ROWS },
      ) as tf.Tensor[];
      (save as tf.GradSaveFunc)(gradients);
      return { value: tf.sum(perToken) as tf.Scalar, gradFunc: savedGradients };
    }
    const kernelT = blas ? undefined : tf.transpose(w);
    let loss = tf.scalar(0);
    let dKernel = tf.zeros([units, vocab]) as tf.Tensor2D;
    let dBias = tf.zeros([1, vocab]) as tf.Tensor2D;
    const dHidden: tf.Tensor2D[] = [];
    const sizes: number[] = [];
    for (let start = 0; start < tokens; start += CHUNK_ROWS) sizes.push(Math.min(CHUNK_ROWS, tokens - start));
    const chunks = sizes.length === 1 ? [h] : (tf.split(h, sizes) as tf.Tensor2D[]);
    let start = 0;
    for (const [index, rows] of sizes.entries()) {
      const part = chunks[index];
      const next = tf.tidy(() => {
        const logits = tf.fused.matMul({ a: part, b: w, bias: b });
        const [perToken, grad] = tf.engine().runKernel(
          'SubflowSmoothedXent',
          {
            logits,
            targets: tf.tensor1d(targets.subarray(start, start + rows), 'int32'),
            weights: tf.tensor1d(weights.subarray(start, start + rows)),
          },
          { smoothing },
        ) as tf.Tensor2D[];
        return {
          loss: tf.add(loss, tf.sum(perToken)) as tf.Scalar,
          dHidden: kernelT ? tf.matMul(grad, kernelT) : tf.matMul(grad, w, false, true),
          dKernel: tf.add(
            dKernel,
            blas ? tf.matMul(part, grad, true, false) : tf.matMul(tf.transpose(part), grad),
          ) as tf.Tensor2D,
          // Σ_rows as ones[1, rows]·grad: a product rather than wasm's transposing reduction.
          dBias: tf.add(dBias, tf.matMul(tf.ones([1, rows]), grad)) as tf.Tensor2D,
        };
      });
      tf.dispose([loss, dKernel, dBias]);
      ({ loss, dKernel, dBias } = next);
      dHidden.push(next.dHidden as tf.Tensor2D);
      start += rows;
    }
    const gradients = [
      dHidden.length === 1 ? dHidden[0] : tf.concat(dHidden),
      dKernel,
      tf.reshape(dBias, [vocab]),
    ];
    if (dHidden.length > 1) tf.dispose(dHidden);
    if (chunks[0] !== h) tf.dispose(chunks);
    if (kernelT) kernelT.dispose();
    (save as tf.GradSaveFunc)(gradients);
    return { value: loss, gradFunc: savedGradients };
  });
  return op(hidden, kernel, bias) as tf.Scalar;
}

/**
 * The gradients made with the forward pass, scaled by dy. The loss is normally the value
 * differentiated (dy = 1): the saved gradients are then the answer, shared rather than copied.
 */
function savedGradients(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): tf.Tensor[] {
  const scale = (dy as tf.Tensor).dataSync()[0];
  const result = saved.map((g) => (scale === 1 ? tf.clone(g) : tf.mul(g, scale)));
  return releaseEarly(result, saved);
}
