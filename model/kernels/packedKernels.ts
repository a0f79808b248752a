import * as tf from '@tensorflow/tfjs';
import { hostFloats } from './kernelIo.js';
import { nativeKernels, type NativeAddon } from './nativeAddon.js';

/**
 * Products of a few rows with a weight matrix packed once into column panels
 * (native/src/packed_gemm.c), for the decoder step: cblas_sgemm repacks its B operand on every
 * call, which with 32 rows costs about as much as the product, and runs SSE3 kernels on CPUs that
 * OpenBLAS misdetects. `SUBFLOW_PACKED=off` turns them off (for A/B runs).
 */

/** Which packed product runs: the widest the CPU has, or one forced (tests, A/B runs). */
export type PackedPath = 'auto' | 'plain' | 'avx2' | 'avx512';
const PATH_CODES: Record<PackedPath, number> = { auto: 0, plain: 1, avx2: 2, avx512: 3 };

/** Columns per panel of the packed layout. */
const PANEL = 32;

/** The packed-product interface of the addon (packed_gemm.c). */
export interface PackedAddon {
  /** b [k, n] row-major → packed [packedLength(k, n)]: panels [⌈n/32⌉][k][32], columns past n zero. */
  packPanels(b: Float32Array, k: number, n: number, packed: Float32Array): void;
  /** out [rows, n] = x [rows, k] · B (+ bias [n]) with B packed by packPanels; throws for a path the CPU lacks. */
  packedMatMul(
    x: Float32Array,
    rows: number,
    k: number,
    n: number,
    packed: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    path: number,
  ): void;
  /** The path `auto` runs here and every path this CPU can run. */
  packedFeatures(): { path: PackedPath; paths: PackedPath[] };
}

/** A one-layer Luong decoder's matrices packed for the native decoder step. */
export interface PackedDecoderWeights {
  /**
   * W stacked over U, [emb + units, 4·units]: the step multiplies [x, h]·[W; U] as one product
   * (one product with k = 768 ran at 330 GFLOPS on the 2-core EPYC where k = 256 and 512 gave 270).
   */
  gates: Float32Array;
  combine: Float32Array;
  out: Float32Array;
  path: number;
}

/** Length of a [k, n] matrix in the packed layout. */
export function packedLength(k: number, n: number): number {
  return Math.ceil(n / PANEL) * k * PANEL;
}

/** Code of a path for the addon's `path` argument. */
export function packedPathCode(path: PackedPath): number {
  return PATH_CODES[path];
}

let enabled = !['off', '0', 'false', 'no'].includes((process.env.SUBFLOW_PACKED ?? '').toLowerCase());

/** Turns the packed products off (the decoder step multiplies through cblas_sgemm) or back on; for tests and A/B runs. */
export function setPackedProductsEnabled(on: boolean): void {
  enabled = on;
}

/**
 * The addon with its packed products, the path `auto` runs and the paths this CPU can run; undefined
 * when they are off, the addon did not load, or it was built before them.
 */
export function packedProducts(): PackedProducts | undefined {
  if (!enabled) return undefined;
  const addon = nativeKernels() as (NativeAddon & Partial<PackedAddon>) | undefined;
  if (addon === undefined || typeof addon.packedFeatures !== 'function') return undefined;
  // Asked every decoder step: the CPU's features do not change, so they are read from the addon once.
  if (products?.addon !== addon) {
    const full = addon as NativeAddon & PackedAddon;
    products = { addon: full, ...full.packedFeatures() };
  }
  return products;
}

type PackedProducts = { addon: NativeAddon & PackedAddon } & ReturnType<PackedAddon['packedFeatures']>;
let products: PackedProducts | undefined;

/** A float32 matrix [k, n] in the packed layout (read from tensor memory without a copy where the backend allows). */
export function packMatrix(addon: PackedAddon, matrix: tf.Tensor2D): Float32Array {
  const [k, n] = matrix.shape;
  const packed = new Float32Array(packedLength(k, n));
  addon.packPanels(hostFloats(matrix), k, n, packed);
  return packed;
}

/** Matrices with the same columns stacked top to bottom ([Σk, n]), in the packed layout. */
export function packStacked(addon: PackedAddon, matrices: tf.Tensor2D[]): Float32Array {
  const n = matrices[0].shape[1];
  if (matrices.some((m) => m.shape[1] !== n)) throw new Error('packStacked: the matrices differ in columns');
  const k = matrices.reduce((sum, m) => sum + m.shape[0], 0);
  // Row-major [k, n] matrices stacked along k are their values one after another.
  const stacked = new Float32Array(k * n);
  let offset = 0;
  for (const matrix of matrices) {
    stacked.set(hostFloats(matrix), offset);
    offset += matrix.size;
  }
  const packed = new Float32Array(packedLength(k, n));
  addon.packPanels(stacked, k, n, packed);
  return packed;
}
