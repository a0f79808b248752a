/**
 * int8 weights with one float scale per output row (`export-model --dtype int8`): a row's scale is
 * max|w| / 127 and its values round(w / scale), so dequantising is off by at most scale / 2 per
 * value; with `--calibration` the integers come from GPTQ instead (quantizeRowsGptq, calibration.ts),
 * a few steps from w but with less error in x·W. Either way the stored form is the same. A matrix used as x·W [inputs, outputs] is stored transposed, Wᵀ [outputs, inputs], so each
 * output's weights are one contiguous row; an embedding [vocab, dim] is stored as it is (a lookup
 * reads rows).
 */

/** An int8 matrix [n, k]: one row (and scale) per output. */
export interface QuantizedMatrix {
  /** Output rows. */
  n: number;
  /** Inputs per row. */
  k: number;
  /** Values [n, k], row-major. */
  data: Int8Array;
  /** Scale of each row [n]: a value is data · scale. */
  scales: Float32Array;
  /** Whether the matrix is the transpose of the model's variable ([k, n] there). */
  transposed: boolean;
}

/**
 * Quantises each row of `values` [rows, cols] to int8 with scale max|row| / 127 (0 for an all-zero
 * row). (Clipping a row's largest values, at the ratio of max|row| with the least squared error,
 * chose no clipping on every row of the bundled model, so it is not done.)
 * @returns data [rows, cols] and scales [rows]
 */
export function quantizeRows(
  values: Float32Array,
  rows: number,
  cols: number,
): { data: Int8Array; scales: Float32Array } {
  const data = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let p = 0; p < cols; p++) max = Math.max(max, Math.abs(values[r * cols + p]));
    const scale = Math.fround(max / 127);
    scales[r] = scale;
    if (scale === 0) continue;
    for (let p = 0; p < cols; p++) {
      const q = Math.round(values[r * cols + p] / scale);
      data[r * cols + p] = Math.max(-127, Math.min(127, q));
    }
  }
  return { data, scales };
}

/** Float32 values of an int8 matrix in the variable's layout: [k, n] when `transposed`, else [n, k]. */
export function dequantize(matrix: QuantizedMatrix): Float32Array {
  const { n, k, data, scales, transposed } = matrix;
  const out = new Float32Array(n * k);
  for (let j = 0; j < n; j++) {
    const scale = scales[j];
    for (let p = 0; p < k; p++) out[transposed ? p * n + j : j * k + p] = data[j * k + p] * scale;
  }
  return out;
}

/**
 * Quantises a 2-D variable [rows, cols]: an embedding by its rows, any other matrix (x·W) by its
 * columns, stored transposed.
 */
export function quantizeVariable(
  name: string,
  shape: readonly number[],
  values: Float32Array,
): QuantizedMatrix {
  const [rows, cols] = shape;
  if (isEmbedding(name)) return { n: rows, k: cols, ...quantizeRows(values, rows, cols), transposed: false };
  const transposed = new Float32Array(rows * cols);
  for (let p = 0; p < rows; p++)
    for (let j = 0; j < cols; j++) transposed[j * rows + p] = values[p * cols + j];
  return { n: cols, k: rows, ...quantizeRows(transposed, cols, rows), transposed: true };
}

/** Embeddings are looked up by row; every other matrix multiplies from the right. */
export function isEmbedding(name: string): boolean {
  return name.endsWith('/embedding');
}

/** acc [rows, n] = q [rows, k] · dataᵀ in exact integer arithmetic: the reference of the native int8 products. */
export function accumulateReference(q: Int8Array, rows: number, matrix: QuantizedMatrix): Int32Array {
  const { n, k, data } = matrix;
  const acc = new Int32Array(rows * n);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += q[r * k + p] * data[j * k + p];
      acc[r * n + j] = sum;
    }
  return acc;
}

/**
 * GPTQ (Frantar et al. 2022) with one max-abs scale per row: quantises the columns (inputs) of
 * `values` [rows, cols] in order and pushes each column's rounding error onto the columns not yet
 * quantised, weighted by the inverse of `hessian` [cols, cols] = Σ xᵀx over calibration inputs x,
 * so that x·rowᵀ keeps closer to its float value than with plain rounding. Still int8 with one scale
 * per row: only the choice of integers changes.
 * @returns data [rows, cols] and scales [rows]
 */
export function quantizeRowsGptq(
  values: Float32Array,
  rows: number,
  cols: number,
  hessian: Float64Array,
  damping = 0.01,
): { data: Int8Array; scales: Float32Array } {
  const { scales } = quantizeRows(values, rows, cols);
  const h = Float64Array.from(hessian);
  let meanDiagonal = 0;
  for (let i = 0; i < cols; i++) meanDiagonal += h[i * cols + i] / cols;
  const dead = new Uint8Array(cols);
  for (let i = 0; i < cols; i++) {
    if (h[i * cols + i] === 0) dead[i] = 1; // an input that never varies: its weights do not matter
    h[i * cols + i] += damping * meanDiagonal + (dead[i] ? 1 : 0);
  }
  const u = upperCholeskyOfInverse(h, cols);
  const data = new Int8Array(rows * cols);
  const w = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const scale = scales[r];
    if (scale === 0) continue;
    for (let p = 0; p < cols; p++) w[p] = dead[p] ? 0 : values[r * cols + p];
    for (let i = 0; i < cols; i++) {
      const q = Math.max(-127, Math.min(127, Math.round(w[i] / scale)));
      data[r * cols + i] = q;
      const error = (w[i] - q * scale) / u[i * cols + i];
      for (let p = i + 1; p < cols; p++) w[p] -= error * u[i * cols + p];
    }
  }
  return { data, scales };
}

/** U upper-triangular with Uᵀ·U = a⁻¹, for a symmetric positive definite a [n, n]. */
function upperCholeskyOfInverse(a: Float64Array, n: number): Float64Array {
  const inverse = inverseSpd(a, n);
  const lower = cholesky(inverse, n);
  const upper = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) upper[j * n + i] = lower[i * n + j];
  return upper;
}

/** Lower L with L·Lᵀ = a. */
function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j];
      for (let p = 0; p < j; p++) sum -= l[i * n + p] * l[j * n + p];
      if (i === j) {
        if (!(sum > 0)) throw new Error('quantize: calibration Hessian is not positive definite');
        l[i * n + i] = Math.sqrt(sum);
      } else l[i * n + j] = sum / l[j * n + j];
    }
  return l;
}

/** a⁻¹ of a symmetric positive definite a, through its Cholesky factor. */
function inverseSpd(a: Float64Array, n: number): Float64Array {
  const l = cholesky(a, n);
  // L⁻¹ by forward substitution, then a⁻¹ = L⁻ᵀ·L⁻¹.
  const li = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    li[c * n + c] = 1 / l[c * n + c];
    for (let i = c + 1; i < n; i++) {
      let sum = 0;
      for (let p = c; p < i; p++) sum -= l[i * n + p] * li[p * n + c];
      li[i * n + c] = sum / l[i * n + i];
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let p = i; p < n; p++) sum += li[p * n + i] * li[p * n + j];
      out[i * n + j] = sum;
      out[j * n + i] = sum;
    }
  return out;
}
