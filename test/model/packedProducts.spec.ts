import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { loadNativeAddon } from '../../model/kernels/nativeAddon.js';
import {
  packedLength,
  packedPathCode,
  packedProducts,
  setPackedProductsEnabled,
  type PackedPath,
} from '../../model/kernels/packedKernels.js';
import { SeededRandom } from '../../random.js';
import { BOS_ID } from '../../types.js';
import { makeBatch, tinyModel, tinyPairs, useWasm } from './modelFixtures.js';

function randomFloats(rng: SeededRandom, size: number, scale = 1): Float32Array {
  return Float32Array.from({ length: size }, () => (rng.next() * 2 - 1) * scale);
}

/** x [rows, k] · b [k, n] (+ bias) in double precision, and Σ|x·b| per element for the error bound. */
function reference(
  x: Float32Array,
  b: Float32Array,
  bias: Float32Array | null,
  rows: number,
  k: number,
  n: number,
): { value: Float64Array; magnitude: Float64Array } {
  const value = new Float64Array(rows * n);
  const magnitude = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < n; j++) {
      let sum = bias ? bias[j] : 0;
      let size = bias ? Math.abs(bias[j]) : 0;
      for (let p = 0; p < k; p++) {
        const product = x[r * k + p] * b[p * n + j];
        sum += product;
        size += Math.abs(product);
      }
      value[r * n + j] = sum;
      magnitude[r * n + j] = size;
    }
  return { value, magnitude };
}

/** Largest error of `actual` in units of the float32 accumulation bound (k + 4)·ε·Σ|x·b|; ≤ 1 passes. */
function worstRelative(
  actual: Float32Array,
  expected: { value: Float64Array; magnitude: Float64Array },
  k: number,
) {
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const allowed = (k + 4) * 2 ** -23 * expected.magnitude[i] + 1e-30;
    const error = Math.abs(actual[i] - expected.value[i]) / allowed;
    if (!(error <= worst)) worst = Number.isNaN(error) ? Infinity : error;
  }
  return worst;
}

/** Skips when the addon (or its packed products) did not load: nothing native would be compared. */
function skipWithoutPacked(context: Mocha.Context): NonNullable<ReturnType<typeof packedProducts>> {
  const products = packedProducts();
  if (products) return products;
  if (context.test) context.test.title += ` (skipped: ${loadNativeAddon().status.description})`;
  context.skip();
}

describe('packed weight products (native/src/packed_gemm.c)', function () {
  this.timeout(60_000);
  before(useWasm);
  after(() => setPackedProductsEnabled(true));

  it('every path this CPU runs equals a double-precision product to float32 rounding (odd rows, columns past a panel, bias)', function () {
    const { addon, paths } = skipWithoutPacked(this);
    const rng = new SeededRandom(3);
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [5, 3, 31],
      [7, 17, 33],
      [8, 64, 32],
      [9, 100, 65],
      [13, 512, 100],
      [32, 256, 2048],
      [160, 512, 97],
    ];
    for (const path of paths) {
      for (const [rows, k, n] of shapes) {
        for (const withBias of [false, true]) {
          const x = randomFloats(rng, rows * k);
          const b = randomFloats(rng, k * n);
          const bias = withBias ? randomFloats(rng, n) : null;
          const packed = new Float32Array(packedLength(k, n));
          addon.packPanels(b, k, n, packed);
          // A sentinel past the output: the product must write exactly rows·n values.
          const out = new Float32Array(rows * n + 1).fill(7);
          addon.packedMatMul(x, rows, k, n, packed, bias, out, packedPathCode(path));
          const worst = worstRelative(out.subarray(0, rows * n), reference(x, b, bias, rows, k, n), k);
          expect(worst, `${path} ${rows}×${k}·${k}×${n}${withBias ? ' + bias' : ''}`).to.be.at.most(1);
          expect(out[rows * n]).to.equal(7);
        }
      }
    }
  });

  it('equals the addon cblas_sgemm at the decoder step output layer shape', function () {
    const { addon } = skipWithoutPacked(this);
    const rng = new SeededRandom(4);
    const [rows, k, n] = [32, 512, 8000];
    const x = randomFloats(rng, rows * k);
    const b = randomFloats(rng, k * n, 0.05);
    const bias = randomFloats(rng, n);
    const packed = new Float32Array(packedLength(k, n));
    addon.packPanels(b, k, n, packed);
    const ours = new Float32Array(rows * n);
    addon.packedMatMul(x, rows, k, n, packed, bias, ours, packedPathCode('auto'));
    const blas = new Float32Array(rows * n);
    addon.gemm(x, b, blas, 1, rows, n, k, false, false, 0, 0, bias, 0);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - blas[i]));
    expect(worst).to.be.below(1e-4);
  });

  it('gives the same bits on one thread and on several (the pool splits whole panels)', function () {
    const { addon, paths } = skipWithoutPacked(this);
    const rng = new SeededRandom(5);
    const threadsBefore = addon.info().threads || 1;
    try {
      for (const [rows, k, n] of [
        [160, 512, 8000],
        [32, 256, 2048],
        [3, 1024, 520],
      ] as const) {
        const x = randomFloats(rng, rows * k);
        const b = randomFloats(rng, k * n, 0.05);
        const packed = new Float32Array(packedLength(k, n));
        addon.packPanels(b, k, n, packed);
        for (const path of paths) {
          const outputs = [1, 2, 3].map((threads) => {
            addon.setThreads(threads);
            const out = new Float32Array(rows * n);
            addon.packedMatMul(x, rows, k, n, packed, null, out, packedPathCode(path));
            return out;
          });
          expect(outputs[1], `${path} ${rows}×${k}·${k}×${n}, 2 threads`).to.deep.equal(outputs[0]);
          expect(outputs[2], `${path} ${rows}×${k}·${k}×${n}, 3 threads`).to.deep.equal(outputs[0]);
        }
      }
    } finally {
      addon.setThreads(threadsBefore);
    }
  });

  it('runs the widest path the CPU features allow, and refuses a path the CPU lacks', function () {
    const { addon, path, paths } = skipWithoutPacked(this);
    const features = addon.cpuFeatures();
    const widest: PackedPath = features.includes('avx512f')
      ? 'avx512'
      : features.includes('avx2') && features.includes('fma')
        ? 'avx2'
        : 'plain';
    expect(path).to.equal(widest);
    expect(paths).to.include('plain');
    expect(paths).to.include(widest);
    const missing = (['avx2', 'avx512'] as const).filter((p) => !paths.includes(p));
    for (const p of missing) {
      const out = new Float32Array(1);
      expect(() =>
        addon.packedMatMul(new Float32Array(1), 1, 1, 1, new Float32Array(32), null, out, packedPathCode(p)),
      ).to.throw(/cannot run on this CPU/);
    }
  });

  it('the decoder step with packed weights equals the cblas step, and repacks when a weight changes', function () {
    skipWithoutPacked(this);
    const model = tinyModel({ tgtVocab: 70, decoderUnits: 9, attentionalUnits: 37 });
    const batch = makeBatch(tinyPairs());
    const logits = (): Float32Array =>
      tf.tidy(() => {
        const encoder = model.encode(batch.src, batch.srcLen);
        const state = model.initialDecoderState(encoder);
        const result = model.decodeStepLogits(encoder, new Int32Array(batch.size).fill(BOS_ID), state);
        const values = result.logits.dataSync() as Float32Array;
        model.disposeDecoderState(state);
        model.disposeDecoderState(result.newDecoderState);
        model.disposeEncoderState(encoder);
        return values;
      });
    const worst = (a: Float32Array, b: Float32Array): number =>
      a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i])), 0);
    setPackedProductsEnabled(false);
    const blas = logits();
    setPackedProductsEnabled(true);
    const packed = logits();
    expect(worst(packed, blas)).to.be.below(1e-5);
    expect(model.packedDecoderWeights()).to.not.equal(undefined);
    // A changed output layer (as after a training step) must not be multiplied in its stale packing.
    const outKernel = model.variables.get('decoder/out/kernel');
    if (!outKernel) throw new Error(`no decoder/out/kernel among ${[...model.variables.keys()].join(', ')}`);
    outKernel.assign(tf.mul(outKernel, -2));
    setPackedProductsEnabled(false);
    const blasAfter = logits();
    setPackedProductsEnabled(true);
    const packedAfter = logits();
    expect(worst(blasAfter, blas)).to.be.above(1e-3);
    expect(worst(packedAfter, blasAfter)).to.be.below(1e-5);
    model.dispose();
  });
});
