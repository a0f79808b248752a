import * as tf from '@tensorflow/tfjs';
import { KernelIo, type JsKernelBackend } from './kernelIo.js';
import { loadNativeAddon, nativeKernels, type BlasStatus, type NativeAddon } from './nativeAddon.js';

/**
 * Matrix products on the machine's OpenBLAS for the wasm and cpu backends. tfjs runs wasm
 * single-threaded under Node (about 27 GFLOPS through XNNPACK, and a scalar loop for transposed
 * operands); OpenBLAS uses every core (about 130–180 GFLOPS on the 2-core reference machine). The
 * optional addon `subflow-native` (native/, built by `npm ci` when a C compiler is present) calls
 * `cblas_sgemm` on typed-array views of the tensors' memory, so nothing is copied.
 *
 * `BatchMatMul` and `_FusedMatMul` are replaced for wasm and cpu; shapes the addon does not cover
 * (general batch broadcasting, non-float32, activations other than linear/relu/sigmoid, a bias
 * that is not a vector over the columns) go to the backend's own kernel.
 */

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, sigmoid: 2 };
const KERNEL_NAMES = ['BatchMatMul', '_FusedMatMul'] as const;
const MARKER = 'subflowBlas';

/** Whether the OpenBLAS matmuls can run here, with a few words on what runs or why not. */
export function blasStatus(): BlasStatus {
  return loadNativeAddon().status;
}

/** Where a gemm's operands are and how the batch dimension steps through them. */
interface GemmPlan {
  batch: number;
  m: number;
  n: number;
  k: number;
  aStride: number;
  bStride: number;
  outShape: number[];
}

/**
 * Batch layout of `op(a)·op(b)` for operands of rank ≥ 2, or undefined when the batch dimensions
 * need general broadcasting (then the backend's own kernel runs).
 */
export function planGemm(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): GemmPlan | undefined {
  if (aShape.length < 2 || bShape.length < 2) return undefined;
  const [aRows, aCols] = aShape.slice(-2);
  const [bRows, bCols] = bShape.slice(-2);
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  if ((transposeB ? bCols : bRows) !== k) return undefined;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const aCount = tf.util.sizeFromShape(aBatch);
  const bCount = tf.util.sizeFromShape(bBatch);
  let outBatch: readonly number[];
  if (aCount === bCount && (aBatch.length === 0 || bBatch.length === 0 || sameDims(aBatch, bBatch)))
    outBatch = aBatch.length >= bBatch.length ? aBatch : bBatch;
  else if (aCount === 1 && aBatch.length <= bBatch.length) outBatch = bBatch;
  else if (bCount === 1 && bBatch.length <= aBatch.length) outBatch = aBatch;
  else return undefined;
  return {
    batch: tf.util.sizeFromShape(outBatch as number[]),
    m,
    n,
    k,
    aStride: aCount === 1 ? 0 : m * k,
    bStride: bCount === 1 ? 0 : k * n,
    outShape: [...outBatch, m, n],
  };
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

function gemmKernel(backendName: JsKernelBackend, fallback: tf.KernelFunc, fused: boolean): tf.KernelFunc {
  const kernel = (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean; activation?: string };
    const activation = ACTIVATIONS[attrs.activation ?? 'linear'];
    const plan = planGemm(a!.shape, b!.shape, attrs.transposeA, attrs.transposeB);
    const addon = loadNativeAddon().addon;
    const usable =
      addon !== undefined &&
      plan !== undefined &&
      a!.dtype === 'float32' &&
      b!.dtype === 'float32' &&
      activation !== undefined &&
      preluActivationWeights == null &&
      (bias == null || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === plan.n));
    if (!usable || !plan || !addon) return fallback(args);
    const io = new KernelIo(args.backend, backendName);
    const tensors = bias ? [a!, b!, bias] : [a!, b!];
    const { inputs, outputs, infos } = io.views(tensors, [{ shape: plan.outShape, dtype: 'float32' }]);
    addon.gemm(
      inputs[0] as Float32Array,
      inputs[1] as Float32Array,
      outputs[0] as Float32Array,
      plan.batch,
      plan.m,
      plan.n,
      plan.k,
      attrs.transposeA,
      attrs.transposeB,
      plan.aStride,
      plan.bStride,
      fused && bias ? (inputs[2] as Float32Array) : null,
      activation,
    );
    return io.result(infos)[0];
  };
  Object.defineProperty(kernel, 'name', { value: MARKER });
  return kernel;
}

/** The backends' own kernels, kept to run the cases the addon does not cover and to restore. */
const originals = new Map<string, tf.KernelConfig>();

/**
 * Puts the OpenBLAS matmul kernels in place of `BatchMatMul`/`_FusedMatMul` on wasm and cpu when
 * the addon and OpenBLAS load (see `blasStatus`). Idempotent. Call before `tf.setBackend`, so the replaced
 * kernels' set-up still runs when the backend starts.
 * @returns the status, for the backend resolver's one-line report
 */
export function registerBlasKernels(): BlasStatus {
  const current = loadNativeAddon().status;
  if (!current.available) return current;
  for (const backendName of ['wasm', 'cpu'] as const) {
    for (const kernelName of KERNEL_NAMES) {
      const existing = tf.getKernel(kernelName, backendName);
      if (existing === undefined || existing.kernelFunc.name === MARKER) continue;
      originals.set(`${kernelName}/${backendName}`, existing);
      tf.unregisterKernel(kernelName, backendName);
      tf.registerKernel({
        kernelName,
        backendName,
        setupFunc: existing.setupFunc,
        disposeFunc: existing.disposeFunc,
        kernelFunc: gemmKernel(backendName, existing.kernelFunc, kernelName === '_FusedMatMul'),
      });
    }
  }
  return current;
}

/** Restores the backends' own matmul kernels; for tests that compare both paths. */
export function unregisterBlasKernels(): void {
  for (const [key, config] of originals) {
    const [kernelName, backendName] = key.split('/');
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(config);
  }
  originals.clear();
}

/** True when the active backend's matmuls run on OpenBLAS (transposed operands then cost nothing extra). */
export function blasKernelsActive(): boolean {
  return tf.getKernel('BatchMatMul', tf.getBackend())?.kernelFunc.name === MARKER;
}

/** The addon for a kernel that needs OpenBLAS; throws naming the kernel when it cannot run. */
export function addonWithBlas(kernelName: string): NativeAddon {
  const native = nativeKernels();
  if (!native || !loadNativeAddon().status.available) {
    throw new Error(`${kernelName} needs the native addon with OpenBLAS`);
  }
  return native;
}

/** True when the OpenBLAS-backed kernel `kernelName` can run: registered for the active backend, the addon loaded with OpenBLAS. */
export function blasKernelRunnable(kernelName: string): boolean {
  return (
    tf.getKernel(kernelName, tf.getBackend()) !== undefined &&
    nativeKernels() !== undefined &&
    loadNativeAddon().status.available
  );
}
