import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Backends whose tensor memory JS kernels can read and write directly. */
export type JsKernelBackend = 'wasm' | 'cpu';

/** Minimal view of the cpu backend's storage (tfjs-backend-cpu's MathBackendCPU). */
interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values: tf.TypedArray } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.TypedArray): tf.TensorInfo;
}

/**
 * Output allocation and typed-array access for JS kernels on wasm and cpu. On wasm, outputs live
 * on the wasm heap and views are taken after every allocation (an allocation may grow the heap
 * and detach earlier views); on cpu, outputs are plain typed arrays wrapped at the end.
 */
export class KernelIo {
  private readonly cpuOutputs: { shape: number[]; dtype: tf.DataType; values: tf.TypedArray }[] = [];

  constructor(
    private readonly backend: unknown,
    private readonly backendName: JsKernelBackend,
  ) {}

  /** Allocates the outputs (contents undefined on wasm, zeros on cpu) and returns views of them and of the inputs, in order. */
  views(
    inputs: tf.TensorInfo[],
    outputs: { shape: number[]; dtype: tf.DataType }[],
  ): { inputs: tf.TypedArray[]; outputs: tf.TypedArray[]; infos: tf.TensorInfo[] } {
    if (this.backendName === 'wasm') {
      const wasm = this.backend as BackendWasm;
      const infos = outputs.map((o) => wasm.makeOutput(o.shape, o.dtype));
      // Not zero-filled: every kernel writes each output element (a fill of a 10M-element
      // gradient costs as much as the kernel's own pass).
      const outputViews = infos.map((info) => wasm.typedArrayFromHeap(info));
      return { inputs: inputs.map((i) => wasm.typedArrayFromHeap(i)), outputs: outputViews, infos };
    }
    const cpu = this.backend as CpuBackendLike;
    const outputViews = outputs.map((o) => {
      const size = o.shape.reduce((a, b) => a * b, 1);
      const values = o.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
      this.cpuOutputs.push({ ...o, values });
      return values;
    });
    return { inputs: inputs.map((i) => cpu.data.get(i.dataId).values), outputs: outputViews, infos: [] };
  }

  /** The kernel's result: on cpu this wraps the written arrays as tensors. */
  result(infos: tf.TensorInfo[]): tf.TensorInfo[] {
    if (this.backendName === 'wasm') return infos;
    const cpu = this.backend as CpuBackendLike;
    return this.cpuOutputs.map((o) => cpu.makeTensorInfo(o.shape, o.dtype, o.values));
  }
}

/**
 * A float32 tensor's values on the host without a copy where the backend allows it: a view of the
 * wasm heap or of the cpu backend's array (read it before the next tfjs op: a wasm allocation may
 * move the heap), a `dataSync` copy on other backends.
 */
export function hostFloats(tensor: tf.Tensor): Float32Array {
  if (tensor.dtype === 'float32') {
    const owner = tensorBackend(tensor);
    if (owner !== undefined && owner === tf.findBackend('wasm'))
      return (owner as BackendWasm).typedArrayFromHeap(tensor) as Float32Array;
    if (owner !== undefined && owner === tf.findBackend('cpu'))
      return (owner as unknown as CpuBackendLike).data.get(tensor.dataId).values as Float32Array;
  }
  const data = tensor.dataSync();
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

/** The backend that holds a tensor's data (tensors stay where they were made when the backend changes). */
function tensorBackend(tensor: tf.Tensor): tf.KernelBackend | undefined {
  const engine = tf.engine() as unknown as {
    state: { tensorInfo: WeakMap<tf.DataId, { backend: tf.KernelBackend }> };
  };
  return engine.state.tensorInfo.get(tensor.dataId)?.backend;
}
