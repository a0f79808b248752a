import * as tf from '@tensorflow/tfjs';

/**
 * `tf.tidy` for functions returning an interface of tensors (tfjs' `TensorContainer` type wants an
 * index signature that interfaces lack): every tensor reachable from the result is kept.
 */
export function tidyObject<T extends object>(fn: () => T): T {
  return tf.tidy(() => fn() as unknown as tf.TensorContainer) as unknown as T;
}

/**
 * `tf.unstack` that also differentiates when the axis has size 1 (tfjs 4.22 hands the Unpack
 * gradient a lone tensor instead of an array there, and `stack` throws).
 */
export function unstack<T extends tf.Tensor>(x: tf.Tensor, axis = 0): T[] {
  if (x.shape[axis] === 1) return [tf.squeeze(x, [axis]) as T];
  return tf.unstack(x, axis) as T[];
}

/**
 * `tf.reshape` whose gradient keeps only the input's shape. tfjs' own Reshape gradient saves the
 * input tensor (for its shape), which holds that tensor's memory until the whole backward pass
 * ends; in training that was tens of MB of activations per step.
 */
export function reshape<T extends tf.Tensor>(x: tf.Tensor, shape: number[]): T {
  const inputShape = x.shape;
  const op = tf.customGrad((input) => ({
    value: tf.reshape(input as tf.Tensor, shape),
    gradFunc: (dy) => tf.reshape(dy as tf.Tensor, inputShape),
  }));
  return op(x) as T;
}

/**
 * Frees a custom gradient's saved tensors once it has computed its gradients. tfjs keeps every
 * saved tensor until the whole backward pass ends — tens of MB per training step here. They are
 * clones made for this one tape node (their data stays while other tensors share it), so freeing
 * them early is safe; tfjs' own later dispose of them is then a no-op.
 */
export function releaseEarly<T>(gradients: T, saved: tf.Tensor[]): T {
  tf.dispose(saved);
  return gradients;
}

/** True while a gradient tape records (inside tf.grad / tf.variableGrads), outside any kernel. */
export function isRecordingGradients(): boolean {
  return (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
}
