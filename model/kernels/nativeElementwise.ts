import * as tf from '@tensorflow/tfjs';
import { KernelIo, type JsKernelBackend } from './kernelIo.js';
import { nativeKernels } from './nativeAddon.js';

type KernelArgs = Parameters<tf.KernelFunc>[0];

const MARKER = 'subflowTanh';

/**
 * tfjs' `Tanh` on wasm and cpu replaced by the native addon's vectorised loop when it is loaded
 * (wasm's own costs ≈11 ns an element: 0.9 ms per beam step on the attentional layer's
 * [160, 512]); the backend's kernel runs otherwise. tanh's gradient reads the output, so training
 * is unaffected beyond rounding (≈1 ulp).
 */
function nativeTanh(backendName: JsKernelBackend, fallback: tf.KernelFunc): tf.KernelFunc {
  const kernel = (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const native = nativeKernels();
    if (!native || x.dtype !== 'float32') return fallback(args);
    const io = new KernelIo(args.backend, backendName);
    const { inputs, outputs, infos } = io.views([x], [{ shape: x.shape, dtype: 'float32' }]);
    native.tanh(inputs[0] as Float32Array, outputs[0] as Float32Array);
    return io.result(infos)[0];
  };
  Object.defineProperty(kernel, 'name', { value: MARKER });
  return kernel;
}

/** Puts the native `Tanh` in place of wasm's and cpu's own, keeping theirs as the fallback. Idempotent. */
export function registerNativeElementwiseKernels(): void {
  for (const backendName of ['wasm', 'cpu'] as const) {
    const existing = tf.getKernel('Tanh', backendName);
    if (existing === undefined || existing.kernelFunc.name === MARKER) continue;
    tf.unregisterKernel('Tanh', backendName);
    tf.registerKernel({ ...existing, kernelFunc: nativeTanh(backendName, existing.kernelFunc) });
  }
}
