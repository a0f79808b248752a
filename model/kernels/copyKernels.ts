import * as tf from '@tensorflow/tfjs';
import { KernelIo, type JsKernelBackend } from './kernelIo.js';

/**
 * Kernels that only move data, as contiguous block copies in JS over the backends' memory, in place
 * of tfjs-backend-wasm's (and for GatherV2 also tfjs-backend-cpu's) element-by-element versions:
 * Unpack, SplitV (the gradient of every concat), GatherV2, and an Identity that shares memory.
 */

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Elements before and after `axis` of a shape: the block layout every kernel here copies by. */
function aroundAxis(shape: readonly number[], axis: number): { outer: number; inner: number } {
  return {
    outer: tf.util.sizeFromShape(shape.slice(0, axis)),
    inner: tf.util.sizeFromShape(shape.slice(axis + 1)),
  };
}

/**
 * Unpack (tf.unstack) as contiguous block copies. Replaces tfjs-backend-wasm's Unpack, which
 * slices element by element (≈2 s for [20, 64, 2048] on this machine, vs. a few ms here).
 */
function unpack(backendName: JsKernelBackend) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const { value } = inputs as { value: tf.TensorInfo };
    const axis = (attrs as { axis: number }).axis;
    const shape = value.shape;
    const count = shape[axis];
    const { outer, inner } = aroundAxis(shape, axis);
    const outShape = [...shape.slice(0, axis), ...shape.slice(axis + 1)];
    const io = new KernelIo(backend, backendName);
    const {
      inputs: views,
      outputs,
      infos,
    } = io.views(
      [value],
      Array.from({ length: count }, () => ({ shape: outShape, dtype: value.dtype })),
    );
    const source = views[0];
    for (let o = 0; o < outer; o++) {
      for (let t = 0; t < count; t++) {
        const from = (o * count + t) * inner;
        outputs[t].set(source.subarray(from, from + inner), o * inner);
      }
    }
    return io.result(infos);
  };
}

/**
 * SplitV (tf.split, and so the gradient of every concat) as contiguous block copies, for wasm:
 * tfjs-backend-wasm slices element by element (≈18 ms to split a [64, 20, 1024] gradient in two).
 */
function splitBlocks(backendName: JsKernelBackend) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { numOrSizeSplits, axis } = attrs as { numOrSizeSplits: number | number[]; axis: number };
    const rank = x.shape.length;
    const at = axis < 0 ? axis + rank : axis;
    const size = x.shape[at];
    const sizes =
      typeof numOrSizeSplits === 'number'
        ? new Array<number>(numOrSizeSplits).fill(size / numOrSizeSplits)
        : numOrSizeSplits.slice();
    const unknown = sizes.indexOf(-1);
    if (unknown >= 0) sizes[unknown] = size - sizes.reduce((a, b) => a + (b === -1 ? 0 : b), 0);
    const { outer, inner } = aroundAxis(x.shape, at);
    const io = new KernelIo(backend, backendName);
    const {
      inputs: views,
      outputs,
      infos,
    } = io.views(
      [x],
      sizes.map((part) => ({
        shape: [...x.shape.slice(0, at), part, ...x.shape.slice(at + 1)],
        dtype: x.dtype,
      })),
    );
    const source = views[0];
    let offset = 0;
    sizes.forEach((part, i) => {
      const block = part * inner;
      for (let o = 0; o < outer; o++) {
        const from = (o * size + offset) * inner;
        outputs[i].set(source.subarray(from, from + block), o * block);
      }
      offset += part;
    });
    return io.result(infos);
  };
}

/**
 * GatherV2 along any axis (batchDims 0) as block copies, for wasm and cpu: out[o, i, …] =
 * x[o, indices[i], …]. tfjs-backend-wasm's kernel computes strides per element (≈4 ms to pick 160
 * rows of a [1, 160, 512] decoder state, a few µs here). Other cases go to the backend's own kernel.
 */
function gatherBlocks(backendName: JsKernelBackend, fallback: tf.KernelFunc) {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const rank = x.shape.length;
    const at = axis < 0 ? axis + rank : axis;
    if (batchDims !== 0 || at < 0 || at >= rank || indices.dtype !== 'int32' || x.dtype === 'string')
      return fallback(args);
    const { outer, inner } = aroundAxis(x.shape, at);
    const size = x.shape[at];
    const count = tf.util.sizeFromShape(indices.shape);
    const outShape = [...x.shape.slice(0, at), ...indices.shape, ...x.shape.slice(at + 1)];
    const io = new KernelIo(args.backend, backendName);
    const { inputs: views, outputs, infos } = io.views([x, indices], [{ shape: outShape, dtype: x.dtype }]);
    const [source, ids] = views;
    const [out] = outputs;
    for (let i = 0; i < count; i++) {
      if (!(ids[i] >= 0 && ids[i] < size))
        throw new Error(`GatherV2: the index value ${ids[i]} is not in [0, ${size - 1}]`);
    }
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < count; i++) {
        const from = (o * size + ids[i]) * inner;
        const to = (o * count + i) * inner;
        if (inner >= 16) out.set(source.subarray(from, from + inner), to);
        else for (let k = 0; k < inner; k++) out[to + k] = source[from + k];
      }
    }
    return io.result(infos)[0];
  };
}

/**
 * Identity that shares the input's memory (reference-counted), as the cpu backend's does.
 * tfjs-backend-wasm's copies the whole tensor, and tfjs clones every tensor a gradient saves
 * (each matMul's weights included), so on wasm the copies cost ≈10 % of a training step.
 * Sharing is safe because tfjs tensors are immutable (Variable.assign swaps the data id).
 */
function sharedIdentity({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  (backend as unknown as { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Registers `kernelFunc` for wasm in place of tfjs' own, once. */
function replaceWasmKernel(kernelName: string, kernelFunc: tf.KernelFunc): void {
  const marker = `subflow${kernelName}`;
  const existing = tf.getKernel(kernelName, 'wasm');
  if (existing?.kernelFunc.name === marker) return;
  if (existing) tf.unregisterKernel(kernelName, 'wasm');
  Object.defineProperty(kernelFunc, 'name', { value: marker });
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}

/**
 * Replaces wasm's Unpack, SplitV and Identity and both backends' GatherV2 with the block-copy
 * kernels above. Idempotent; safe before the wasm backend starts (tfjs' own GatherV2 set-up is kept).
 */
export function registerCopyKernels(): void {
  replaceWasmKernel('Unpack', unpack('wasm'));
  replaceWasmKernel('SplitV', splitBlocks('wasm'));
  replaceWasmKernel('Identity', sharedIdentity as tf.KernelFunc);
  for (const backendName of ['wasm', 'cpu'] as const) {
    const existing = tf.getKernel('GatherV2', backendName);
    if (existing === undefined || existing.kernelFunc.name === 'subflowGatherV2') continue;
    const kernelFunc = gatherBlocks(backendName, existing.kernelFunc) as tf.KernelFunc;
    Object.defineProperty(kernelFunc, 'name', { value: 'subflowGatherV2' });
    tf.unregisterKernel('GatherV2', backendName);
    tf.registerKernel({ ...existing, kernelFunc });
  }
}
