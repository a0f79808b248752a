import * as tf from '@tensorflow/tfjs';
import { KernelIo, type JsKernelBackend } from './kernelIo.js';
import { nativeKernels } from './nativeAddon.js';

type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * `SubflowDropout`: x·mask/keep with the mask drawn in C from a counter-based generator
 * (native/src/dropout.c), for wasm and cpu. Input: x (any shape, float32). Attrs: keep (1 − rate),
 * seed. Output: same shape as x. The mask depends only on the seed and the element's index, so
 * the gradient is this kernel applied to dy with the same seed and no mask is kept for the
 * backward pass.
 */
export function dropoutKernel(backendName: JsKernelBackend) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { keep, seed } = attrs as { keep: number; seed: number };
    const native = nativeKernels();
    if (!native) throw new Error('SubflowDropout needs the native addon');
    const io = new KernelIo(backend, backendName);
    const { inputs: views, outputs, infos } = io.views([x], [{ shape: x.shape, dtype: 'float32' }]);
    native.dropout(
      views[0] as Float32Array,
      outputs[0] as Float32Array,
      tf.util.sizeFromShape(x.shape),
      keep,
      seed,
    );
    return io.result(infos);
  };
}

let dropoutKernelEnabled = true;

/** Turns the native dropout off (tf.dropout runs) or back on; for tests and A/B runs. */
export function setDropoutKernelEnabled(enabled: boolean): void {
  dropoutKernelEnabled = enabled;
}

/**
 * Inverted dropout of rate `rate` (0 ≤ rate < 1) with a reproducible mask: the native kernel where
 * it is registered and the addon loaded, tf.dropout elsewhere (tfjs-node, no addon). The two draw
 * different masks from the same seed; each is the same on every run.
 * @param seed any number; the same seed gives the same mask
 */
export function seededDropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  const active =
    dropoutKernelEnabled &&
    x.dtype === 'float32' &&
    tf.getKernel('SubflowDropout', tf.getBackend()) !== undefined &&
    nativeKernels() !== undefined;
  if (!active) return tf.dropout(x, rate, undefined, seed);
  // The kernel takes an integer in [0, 2^53); any other number still gives one fixed mask.
  const attrs = { keep: 1 - rate, seed: Math.abs(Math.trunc(seed)) % 2 ** 53 };
  const op = tf.customGrad((input) => {
    const run = (t: tf.Tensor) =>
      (
        tf.engine().runKernel('SubflowDropout', { x: t }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[]
      )[0];
    return { value: run(input as tf.Tensor), gradFunc: (dy) => run(dy as tf.Tensor) };
  });
  return op(x) as tf.Tensor;
}
