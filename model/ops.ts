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
