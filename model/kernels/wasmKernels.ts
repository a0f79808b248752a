import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Kernels the tfjs wasm backend (4.22) lacks but training needs, written over typed-array views of
 * the wasm heap. Found by running the full model's gradients on wasm and reading the
 * "Kernel '…' not registered for backend 'wasm'" errors:
 * - `UnsortedSegmentSum`: the gradient of `gather` (embedding lookups, picking gold logits).
 */

type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * Allocates an output tensor on the wasm heap. Call it BEFORE taking views of the inputs: the
 * allocation may grow the heap, which detaches every earlier view of its ArrayBuffer.
 */
function makeOutput(backend: BackendWasm, shape: number[], dtype: tf.DataType): tf.TensorInfo {
  return backend.makeOutput(shape, dtype);
}

/**
 * UnsortedSegmentSum: out[s, …] = Σ over positions p with segmentIds[p] = s of x[p, …].
 * x: [...idsShape, ...inner], segmentIds: idsShape (int32), out: [numSegments, ...inner].
 * Ids outside [0, numSegments) are dropped, as in TensorFlow. O(x.size), no one-hot.
 */
function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const idsRank = segmentIds.shape.length;
  const innerShape = x.shape.slice(idsRank);
  const inner = innerShape.reduce((a, b) => a * b, 1);
  const out = makeOutput(wasm, [numSegments, ...innerShape], x.dtype);
  const outValues = wasm.typedArrayFromHeap(out);
  const xValues = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  outValues.fill(0);
  for (let p = 0; p < ids.length; p++) {
    const segment = ids[p];
    if (segment < 0 || segment >= numSegments) continue;
    const from = p * inner;
    const to = segment * inner;
    for (let k = 0; k < inner; k++) outValues[to + k] += xValues[from + k];
  }
  return out;
}

const KERNELS: tf.KernelConfig[] = [
  { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum },
];

/** Names of the kernels this module adds to the wasm backend. */
export const WASM_TRAINING_KERNELS: readonly string[] = KERNELS.map((k) => k.kernelName);

/**
 * Registers the wasm training kernels listed in `WASM_TRAINING_KERNELS`. Idempotent: a kernel
 * already registered for wasm (by an earlier call, or by a future tfjs) is left alone.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm') === undefined) tf.registerKernel(config);
  }
}
