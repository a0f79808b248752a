import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../random.js';

/** Standard normal samples (Box–Muller) from a seeded generator. */
function normals(rng: SeededRandom, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = 1 - rng.next(); // (0, 1]: log stays finite
    const v = rng.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    out[i] = radius * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * Glorot/Xavier uniform (Glorot & Bengio 2010): U(−l, l) with l = √(6 / (fanIn + fanOut)),
 * for a weight matrix [fanIn, fanOut].
 */
export function glorotUniform(rng: SeededRandom, fanIn: number, fanOut: number): tf.Tensor2D {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const values = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < values.length; i++) values[i] = (2 * rng.next() - 1) * limit;
  return tf.tensor2d(values, [fanIn, fanOut]);
}

/**
 * A [rows, cols] matrix with orthonormal rows (rows ≤ cols) or columns (rows > cols), as Keras'
 * `orthogonal` initialiser (Saxe et al. 2014): modified Gram–Schmidt in float64 on a Gaussian
 * matrix. Used for the recurrent weights [units, 4·units], whose rows are then orthonormal.
 */
export function orthogonal(rng: SeededRandom, rows: number, cols: number): tf.Tensor2D {
  const transpose = rows > cols;
  const n = transpose ? cols : rows; // number of vectors to orthonormalise
  const m = transpose ? rows : cols; // their length
  const vectors = normals(rng, n * m);
  for (let i = 0; i < n; i++) {
    const vi = vectors.subarray(i * m, (i + 1) * m);
    for (let j = 0; j < i; j++) {
      const vj = vectors.subarray(j * m, (j + 1) * m);
      let dot = 0;
      for (let k = 0; k < m; k++) dot += vi[k] * vj[k];
      for (let k = 0; k < m; k++) vi[k] -= dot * vj[k];
    }
    let norm = 0;
    for (let k = 0; k < m; k++) norm += vi[k] * vi[k];
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < m; k++) vi[k] /= norm;
  }
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) {
      const index = transpose ? k * cols + i : i * cols + k;
      values[index] = vectors[i * m + k];
    }
  }
  return tf.tensor2d(values, [rows, cols]);
}

/**
 * LSTM bias [4·units] in the fused gate order [input, forget, output, cell]: zeros except the
 * forget gate at 1, so early in training the cell keeps its state (Jozefowicz et al. 2015).
 */
export function lstmBias(units: number): tf.Tensor1D {
  const values = new Float32Array(4 * units);
  values.fill(1, units, 2 * units);
  return tf.tensor1d(values);
}

/** A zero vector [size] (output and attention biases). */
export function zeros1d(size: number): tf.Tensor1D {
  return tf.zeros([size]);
}
