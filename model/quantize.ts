/**
 * int8 weights with one float scale per output row (`export-model --dtype int8`): a row's scale is
 * max|w| / 127 and its values round(w / scale), so dequantising is off by at most scale / 2 per
 * value. A matrix used as x·W [inputs, outputs] is stored transposed, Wᵀ [outputs, inputs], so each
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
