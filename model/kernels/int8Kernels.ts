import * as tf from '@tensorflow/tfjs';
import type { QuantizedMatrix } from '../quantize.js';
import { KernelIo, type JsKernelBackend } from './kernelIo.js';
import { nativeKernels } from './nativeAddon.js';

/**
 * The decoder step of an int8 model (`export-model --dtype int8`) on the native int8 kernels
 * (native/src/int8_kernels.c): the step of decodeKernels.ts's SubflowDecoderStep with every matrix
 * int8 and activations quantised per row on the fly (15 bits, as two int8 halves, for all but the
 * embedding product, whose input rows are int8 already).
 */

/** An int8 matrix as the native kernels take it: with its VNNI packing and row sums. */
export interface NativeInt8Matrix extends QuantizedMatrix {
  packed: Int8Array;
  sums: Int32Array;
}

/** The int8 matrices of a one-layer Luong decoder step. */
export interface Int8DecoderWeights {
  embedding: NativeInt8Matrix;
  kernel: NativeInt8Matrix;
  recurrent: NativeInt8Matrix;
  combine: NativeInt8Matrix;
  out: NativeInt8Matrix;
}

/** Which int8 product runs: the fastest the CPU has, or one forced (tests, A/B runs). */
export type Int8Path = 'auto' | 'plain' | 'vector' | 'vnni';
const PATH_CODES: Record<Int8Path, number> = { auto: 0, plain: 1, vector: 2, vnni: 3 };

/** The int8 interface of the addon (int8_kernels.c). */
export interface Int8Addon {
  int8Pack(matrix: QuantizedMatrix, packed: Int8Array, sums: Int32Array): void;
  quantizeRows(x: Float32Array, rows: number, k: number, q: Int8Array, scales: Float32Array): void;
  quantizeRowsWide(
    x: Float32Array,
    rows: number,
    k: number,
    hi: Int8Array,
    lo: Int8Array,
    scales: Float32Array,
  ): void;
  int8Accumulate(q: Int8Array, rows: number, matrix: QuantizedMatrix, acc: Int32Array, path: number): void;
  int8MatMul(
    x: Float32Array,
    rows: number,
    matrix: QuantizedMatrix,
    bias: Float32Array | null,
    out: Float32Array,
    path: number,
    wide: boolean,
  ): void;
  decoderStepInt8(...args: unknown[]): void;
  int8Features(): { vnni: boolean; path: string };
}

/** The addon's int8 kernels, or a reason they cannot run (no addon, or one built before them). */
export function int8Kernels(): { addon: Int8Addon; path: string } | { addon: undefined; why: string } {
  const addon = nativeKernels() as (Partial<Int8Addon> & object) | undefined;
  if (addon === undefined) return { addon: undefined, why: 'no native addon' };
  if (typeof addon.decoderStepInt8 !== 'function' || typeof addon.int8Features !== 'function')
    return {
      addon: undefined,
      why: 'the native addon predates int8 kernels; rebuild it (npm rebuild subflow-native)',
    };
  const full = addon as Int8Addon;
  return { addon: full, path: full.int8Features().path };
}

/** Code of a path for the addon's `path` argument. */
export function int8PathCode(path: Int8Path): number {
  return PATH_CODES[path];
}

/** `matrix` with the VNNI packing ([⌈n/16⌉][⌈k/4⌉][16][4]) and row sums the native products use. */
export function packInt8(addon: Int8Addon, matrix: QuantizedMatrix): NativeInt8Matrix {
  const packed = new Int8Array(Math.ceil(matrix.n / 16) * Math.ceil(matrix.k / 4) * 64);
  const sums = new Int32Array(matrix.n);
  addon.int8Pack(matrix, packed, sums);
  return { ...matrix, packed, sums };
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Float inputs of `SubflowDecoderStepInt8`, in the native call's order. */
const INPUTS = ['h', 'c', 'keys', 'values', 'mask', 'bias', 'outBias'];

/**
 * One decoding step with int8 matrices for every row. Inputs: ids [R] int32, h and c [1, R, D],
 * keys [R, S, D], values [R, S, E], mask [R, S], bias [4D], outBias [V]; attrs: the int8 weights
 * and the path. Outputs: logits [R, V], h' and c' [1, R, D], attention [R, S].
 */
function decoderStepInt8Kernel(backendName: JsKernelBackend) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const all = inputs as Record<string, tf.TensorInfo>;
    const { weights, path } = attrs as unknown as { weights: Int8DecoderWeights; path: number };
    const { ids, h, keys, values } = all;
    const rows = ids.shape[0];
    const [, srcLen, units] = keys.shape;
    const io = new KernelIo(backend, backendName);
    const {
      inputs: views,
      outputs,
      infos,
    } = io.views(
      [ids, ...INPUTS.map((name) => all[name])],
      [
        { shape: [rows, weights.out.n], dtype: 'float32' },
        { shape: h.shape, dtype: 'float32' },
        { shape: h.shape, dtype: 'float32' },
        { shape: [rows, srcLen], dtype: 'float32' },
      ],
    );
    const kernels = int8Kernels();
    if (!kernels.addon)
      throw new Error(`SubflowDecoderStepInt8 needs the native int8 kernels (${kernels.why})`);
    kernels.addon.decoderStepInt8(
      ...views,
      ...outputs,
      weights.embedding,
      weights.kernel,
      weights.recurrent,
      weights.combine,
      weights.out,
      rows,
      srcLen,
      units,
      values.shape[2],
      path,
    );
    return io.result(infos);
  };
}

/** Registers `SubflowDecoderStepInt8` on wasm and cpu (idempotent). */
export function registerInt8Kernels(): void {
  for (const backendName of ['wasm', 'cpu'] as const) {
    if (tf.getKernel('SubflowDecoderStepInt8', backendName) === undefined)
      tf.registerKernel({
        kernelName: 'SubflowDecoderStepInt8',
        backendName,
        kernelFunc: decoderStepInt8Kernel(backendName),
      });
  }
}
