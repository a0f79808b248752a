import * as tf from '@tensorflow/tfjs';
import { PAD_ID } from '../types.js';
import { fusedKernelsActive } from './kernels/fusedKernels.js';
import { releaseEarly } from './ops.js';

/**
 * Label-smoothed cross-entropy (Szegedy et al. 2016) averaged over non-PAD target tokens, the
 * same quantity as PyTorch's `cross_entropy(..., ignore_index=PAD, label_smoothing=ε)`:
 * per token, (1−ε)·(−log p_y) + ε·mean_k(−log p_k) = lse(z) − (1−ε)·z_y − (ε/V)·Σ_k z_k.
 * @param logits  [tokens, vocab]
 * @param targets gold ids, [tokens] (int32); PAD (0) tokens contribute nothing
 * @param smoothing ε in [0, 1)
 * @returns scalar mean over non-PAD tokens (0 when every token is PAD)
 */
export function labelSmoothedCrossEntropy(
  logits: tf.Tensor2D,
  targets: Int32Array,
  smoothing: number,
): tf.Scalar {
  const [tokens, vocab] = logits.shape;
  if (fusedKernelsActive()) return fusedLoss(logits, targets, smoothing);
  const goldIndex = new Int32Array(tokens);
  const weightValues = new Float32Array(tokens);
  let counted = 0;
  for (let i = 0; i < tokens; i++) {
    goldIndex[i] = i * vocab + targets[i];
    if (targets[i] !== PAD_ID) {
      weightValues[i] = 1;
      counted++;
    }
  }
  const logSumExp = tf.logSumExp(logits, 1); // [tokens]
  // Gold logits picked from the flat logits: gathers `tokens` values, and its gradient is a
  // sparse scatter (UnsortedSegmentSum) rather than a dense one-hot product.
  const gold = tf.gather(tf.reshape(logits, [tokens * vocab]), tf.tensor1d(goldIndex, 'int32'));
  let perToken = tf.sub(logSumExp, tf.mul(gold, 1 - smoothing));
  if (smoothing > 0) perToken = tf.sub(perToken, tf.mul(tf.sum(logits, 1), smoothing / vocab));
  const weights = tf.tensor1d(weightValues);
  return tf.div(tf.sum(tf.mul(perToken, weights)), Math.max(counted, 1)) as tf.Scalar;
}

/**
 * The same loss through the fused `SubflowSmoothedXent` kernel: one pass giving per-token losses
 * and the gradient together (in C with the native addon).
 */
function fusedLoss(logits: tf.Tensor2D, targets: Int32Array, smoothing: number): tf.Scalar {
  const inputs = {
    targets: tf.tensor1d(targets, 'int32'),
    weights: tf.tensor1d(lossWeights(targets)),
  };
  const loss = tf.customGrad((z, save) => {
    const [perToken, grad] = tf
      .engine()
      .runKernel('SubflowSmoothedXent', { logits: z as tf.Tensor, ...inputs }, { smoothing }) as tf.Tensor[];
    // Only the gradient is saved: the logits are then freed when the forward pass ends.
    (save as tf.GradSaveFunc)([grad]);
    return {
      value: tf.sum(perToken),
      // The loss is normally the value differentiated (dy = 1): then the saved gradient is the
      // answer, shared rather than copied ([tokens, vocab] is the largest tensor of a step).
      gradFunc: (dy, saved) =>
        releaseEarly(
          [(dy as tf.Tensor).dataSync()[0] === 1 ? tf.clone(saved[0]) : tf.mul(saved[0], dy as tf.Tensor)],
          saved,
        ),
    };
  });
  return loss(logits) as tf.Scalar;
}

/** Per-token weights of the mean loss: 1/(non-PAD tokens) for real tokens, 0 for PAD, [tokens]. */
export function lossWeights(targets: Int32Array): Float32Array {
  let counted = 0;
  for (const target of targets) if (target !== PAD_ID) counted++;
  const weight = 1 / Math.max(counted, 1);
  return Float32Array.from(targets, (target) => (target === PAD_ID ? 0 : weight));
}
