import * as tf from '@tensorflow/tfjs';
import { blasKernelsActive } from './kernels/blasKernels.js';
import { releaseEarly } from './ops.js';

/**
 * x·w (+ bias) for 2-D operands, with every forward and backward product a plain (untransposed,
 * unbatched) matMul. The wasm backend runs only that form on XNNPACK's packed SIMD GEMM (the bias
 * fused in); a matMul with transposeA/transposeB — which tfjs' own matMul gradient uses — falls
 * to a scalar loop many times slower. So the gradient transposes explicitly:
 * dx = dy·wᵀ, dw = xᵀ·dy, dbias = 1ᵀ·dy. With the OpenBLAS kernels (kernels/blasKernels.ts) a transposed
 * operand costs nothing, so the explicit transposes are skipped there.
 * @param x [rows, inner]
 * @param w [inner, cols]
 * @param bias [cols], optional
 * @param wTransposed wᵀ [cols, inner] when the caller already has it (a recurrent weight used at
 *   every time step), so the backward pass does not transpose it once per use
 * @returns [rows, cols]
 */
export function matMul2d(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  bias?: tf.Tensor1D,
  wTransposed?: tf.Tensor2D,
): tf.Tensor2D {
  // Tensors a gradient needs must go through save(): that keeps them alive past the tidy that
  // created them, until the backward pass has run.
  const toSave = (a: tf.Tensor, b: tf.Tensor): tf.Tensor[] => (wTransposed ? [a, b, wTransposed] : [a, b]);
  const gradients = (dy: tf.Tensor2D, saved: tf.Tensor[]): tf.Tensor[] =>
    blasKernelsActive()
      ? [
          tf.matMul(dy, saved[1] as tf.Tensor2D, false, true),
          tf.matMul(saved[0] as tf.Tensor2D, dy, true, false),
        ]
      : [
          tf.matMul(dy, (saved[2] as tf.Tensor2D | undefined) ?? tf.transpose(saved[1] as tf.Tensor2D)),
          tf.matMul(tf.transpose(saved[0] as tf.Tensor2D), dy),
        ];
  if (bias) {
    const product = tf.customGrad((a, b, c, save) => {
      (save as tf.GradSaveFunc)(toSave(a as tf.Tensor, b as tf.Tensor));
      return {
        value: tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c as tf.Tensor }),
        gradFunc: (dy, saved) => {
          const rows = (dy as tf.Tensor2D).shape[0];
          // Σ_rows dy as ones[1, rows]·dy: an XNNPACK product instead of wasm's reduction over the
          // outer axis, which transposes the whole [rows, cols] gradient first.
          const biasGradient = tf.reshape(tf.matMul(tf.ones([1, rows]), dy as tf.Tensor2D), [-1]);
          return releaseEarly([...gradients(dy as tf.Tensor2D, saved), biasGradient], saved);
        },
      };
    });
    return product(x, w, bias) as tf.Tensor2D;
  }
  const product = tf.customGrad((a, b, save) => {
    (save as tf.GradSaveFunc)(toSave(a as tf.Tensor, b as tf.Tensor));
    return {
      value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
      gradFunc: (dy, saved) => releaseEarly(gradients(dy as tf.Tensor2D, saved), saved),
    };
  });
  return product(x, w) as tf.Tensor2D;
}
