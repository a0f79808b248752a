import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { attend } from '../../model/attention.js';
import { attentionStep } from '../../model/kernels/decodeKernels.js';
import { labelSmoothedCrossEntropy } from '../../model/loss.js';
import { fusedLstmCell, runLstm } from '../../model/lstm.js';
import { setLstmSequenceKernelsEnabled } from '../../model/kernels/sequenceKernels.js';
import { setPackedProductsEnabled } from '../../model/kernels/packedKernels.js';
import { logSoftmaxRows, setFusedKernelsEnabled } from '../../model/kernels/fusedKernels.js';
import { loadNativeAddon, setNativeKernelsEnabled } from '../../model/kernels/nativeAddon.js';
import { topKLogSoftmaxRows, topKOfRow } from '../../model/searchInternals.js';
import { BOS_ID, EOS_ID } from '../../types.js';
import { SeededRandom } from '../../random.js';
import { forEachDecodeStep, makeBatch, tinyModel, tinyPairs, useBackend, useWasm } from './modelFixtures.js';

/** Values of `compute` with the C kernels and with the JS loops they replace. */
function nativeAndJs(compute: () => tf.Tensor[]): { native: number[][]; js: number[][] } {
  const read = (): number[][] => tf.tidy(() => compute().map((t) => Array.from(t.dataSync())));
  setNativeKernelsEnabled(true);
  const native = read();
  setNativeKernelsEnabled(false);
  const js = read();
  setNativeKernelsEnabled(true);
  return { native, js };
}

/**
 * Skips a test that compares the C kernels with the JS loops when the addon is not loaded: both
 * sides would run the same JS and the comparison could not fail. The reason goes into the title.
 */
function skipWithoutAddon(context: Mocha.Context): void {
  const { addon, status } = loadNativeAddon();
  if (addon) return;
  if (context.test) context.test.title += ` (skipped: ${status.description})`;
  context.skip();
}

function worstAbsolute(actual: number[][], expected: number[][]): number {
  expect(actual.map((a) => a.length)).to.deep.equal(expected.map((e) => e.length));
  let worst = 0;
  actual.forEach((values, i) =>
    values.forEach((v, k) => {
      const error = Math.abs(v - expected[i][k]);
      if (!(error <= worst)) worst = Number.isNaN(error) ? Infinity : error;
    }),
  );
  return worst;
}

function uniform(rng: SeededRandom, shape: number[], scale: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => (rng.next() * 2 - 1) * scale),
    shape,
  );
}

describe('native element-wise kernels and block gather', function () {
  this.timeout(60_000);
  after(async () => {
    setNativeKernelsEnabled(true);
    setFusedKernelsEnabled(true);
    setLstmSequenceKernelsEnabled(true);
    await useWasm();
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    describe(`on ${backend}`, () => {
      before(async () => {
        await useBackend(backend);
      });

      const topKCase = () => {
        const rng = new SeededRandom(13);
        const [rows, cols] = [7, 50];
        const values = Float32Array.from({ length: rows * cols }, () => Math.round(rng.next() * 20) / 4 - 5);
        values.fill(-Infinity, 2 * cols, 3 * cols - 2); // a row with only two finite values
        values[3 * cols + 7] = NaN; // no usable distribution
        values.fill(1, 4 * cols, 5 * cols); // all ties
        values[5 * cols + EOS_ID] = 30; // EOS dominates
        return { rows, cols, logits: tf.tensor2d(values, [rows, cols]) };
      };
      const topKSettings = [
        [1, -1],
        [5, EOS_ID],
        [7, 0],
      ];

      it('top-k log-probabilities from logits (JS loop) = log-softmax then top-k (ties, NaN, −∞, a skipped column)', () => {
        const { rows, cols, logits } = topKCase();
        const logProbs = tf.logSoftmax(logits).dataSync() as Float32Array;
        for (const [k, skip] of topKSettings) {
          setNativeKernelsEnabled(false);
          const got = topKLogSoftmaxRows(logits, k, skip);
          setNativeKernelsEnabled(true);
          for (let row = 0; row < rows; row++) {
            const plain = topKOfRow(logProbs, row * cols, cols, k, skip);
            const count = row === 3 ? 0 : plain.count;
            expect(got.counts[row], `row ${row} count`).to.equal(count);
            expect(Array.from(got.indices.subarray(row * k, row * k + count))).to.deep.equal(
              Array.from(plain.indices.subarray(0, count)),
            );
            for (let j = 0; j < count; j++)
              expect(got.values[row * k + j]).to.be.closeTo(plain.values[j], 1e-5);
            const eos = logProbs[row * cols + EOS_ID];
            if (row === 2) expect(got.eosLogProbs[row]).to.equal(-Infinity);
            else if (row !== 3) expect(got.eosLogProbs[row]).to.be.closeTo(eos, 1e-5);
          }
          expect(got.counts[2]).to.equal(Math.min(k, 2));
          expect(got.counts[3]).to.equal(0);
        }
        logits.dispose();
      });

      it('top-k log-probabilities from logits: C = JS (ties, NaN, −∞, a skipped column)', function () {
        skipWithoutAddon(this);
        const { logits } = topKCase();
        for (const [k, skip] of topKSettings) {
          const [native, js] = [true, false].map((enabled) => {
            setNativeKernelsEnabled(enabled);
            return topKLogSoftmaxRows(logits, k, skip);
          });
          setNativeKernelsEnabled(true);
          expect(Array.from(native.counts)).to.deep.equal(Array.from(js.counts));
          expect(Array.from(native.indices)).to.deep.equal(Array.from(js.indices));
          native.values.forEach((value, i) => {
            if (value === -Infinity) expect(js.values[i]).to.equal(-Infinity);
            else expect(value, `value ${i}`).to.be.closeTo(js.values[i], 1e-5);
          });
          native.eosLogProbs.forEach((value, row) => {
            if (!Number.isFinite(value)) expect(js.eosLogProbs[row]).to.deep.equal(value);
            else expect(value, `EOS of row ${row}`).to.be.closeTo(js.eosLogProbs[row], 1e-5);
          });
        }
        logits.dispose();
      });

      it("the native Tanh matches the backend's own (tiny, saturated, ±∞, NaN) and keeps its gradient", function () {
        expect(tf.getKernel('Tanh', backend)?.kernelFunc.name).to.equal('subflowTanh');
        skipWithoutAddon(this);
        const rng = new SeededRandom(21);
        const x = tf.tensor1d([
          ...Array.from({ length: 300 }, () => (rng.next() * 2 - 1) * 12),
          ...Array.from({ length: 100 }, () => (rng.next() * 2 - 1) * 1e-3),
          0,
          -0.125,
          0.125,
          30,
          -30,
          Infinity,
          -Infinity,
          NaN,
        ]);
        const { native, js } = nativeAndJs(() => [
          tf.tanh(x),
          tf.grad((v: tf.Tensor) => tf.sum(tf.tanh(v)))(x),
        ]);
        // 1 − tanh² near ±1 magnifies tanh's last-bit differences: an absolute bound for the gradient.
        const tolerance = [2e-7, 1e-6];
        for (let i = 0; i < native.length; i++) {
          native[i].forEach((value, k) => {
            if (Number.isNaN(js[i][k])) expect(value, `output ${i}[${k}]`).to.be.NaN;
            else expect(value, `output ${i}[${k}]`).to.be.closeTo(js[i][k], tolerance[i]);
          });
        }
        x.dispose();
      });

      const attentionCase = () => {
        const rng = new SeededRandom(31);
        const [rows, srcLen, dim, valueDim] = [5, 7, 12, 10];
        const query = uniform(rng, [rows, dim], 1) as tf.Tensor2D;
        const keys = uniform(rng, [rows, srcLen, dim], 1) as tf.Tensor3D;
        const values = uniform(rng, [rows, srcLen, valueDim], 1) as tf.Tensor3D;
        const mask = tf.tensor2d(
          Float32Array.from({ length: rows * srcLen }, (_, i) => (i % srcLen < srcLen - (i % 3) ? 1 : 0)),
          [rows, srcLen],
        );
        const combineKernel = uniform(rng, [valueDim + dim, 6], 0.5) as tf.Tensor2D;
        const step = () => {
          const { combined, weights } = attentionStep(query, keys, values, mask);
          return [tf.tanh(tf.matMul(combined, combineKernel)), weights];
        };
        const dispose = () => tf.dispose([query, keys, values, mask, combineKernel]);
        return { srcLen, dim, query, keys, values, mask, combineKernel, step, dispose };
      };

      it("the attention step kernel (JS loop) = the training graph's attend (padded positions, one-step queries)", () => {
        const { srcLen, dim, query, keys, values, mask, combineKernel, step, dispose } = attentionCase();
        setNativeKernelsEnabled(false);
        const js = tf.tidy(() => step().map((t) => Array.from(t.dataSync())));
        setNativeKernelsEnabled(true);
        const graph = tf.tidy(() => {
          const result = attend(tf.expandDims(query, 1) as tf.Tensor3D, keys, values, mask, {
            kind: 'luong-general',
            keyKernel: tf.eye(dim) as tf.Tensor2D, // unused by attend: the keys are given
            combineKernel,
          });
          return [result.attentional, result.weights].map((t) => Array.from(t.dataSync()));
        });
        expect(worstAbsolute(js, graph)).to.be.below(1e-6);
        // padded positions get no weight
        expect(js[1][srcLen - 1 + srcLen]).to.equal(0);
        dispose();
      });

      it('the attention step kernel: C = JS (padded positions, one-step queries)', function () {
        skipWithoutAddon(this);
        const { step, dispose } = attentionCase();
        const { native, js } = nativeAndJs(step);
        expect(worstAbsolute(native, js)).to.be.below(1e-6);
        dispose();
      });

      it('the one-call native decoder step equals the op-by-op step (log-probabilities, state, attention; padded sources; rows split over threads)', async function () {
        skipWithoutAddon(this);
        const model = tinyModel();
        // 21 rows: the step's row work runs as several chunks of the thread pool.
        const batch = makeBatch(Array.from({ length: 7 }, () => tinyPairs()).flat());
        const steps = (): number[][] => {
          const values: number[][] = [];
          forEachDecodeStep(
            model,
            batch,
            (_, result) => {
              for (const tensor of [
                result.logProbs,
                result.newDecoderState.h,
                result.newDecoderState.c,
                result.attention,
              ])
                values.push(Array.from(tensor.dataSync()));
            },
            3,
          );
          return values;
        };
        const used = async (): Promise<string[]> => {
          const info = await tf.profile(() => {
            const encoder = model.encode(batch.src, batch.srcLen);
            const state = model.initialDecoderState(encoder);
            const result = model.decodeStepLogits(encoder, new Int32Array(batch.size).fill(BOS_ID), state);
            model.disposeDecoderState(state);
            model.disposeDecoderState(result.newDecoderState);
            model.disposeEncoderState(encoder);
            tf.dispose([result.logits, result.attention]);
            return tf.scalar(0);
          });
          return info.kernels.map((k) => k.name);
        };
        setNativeKernelsEnabled(true);
        const native = steps();
        expect(await used()).to.include('SubflowDecoderStep');
        setNativeKernelsEnabled(false);
        const plain = steps();
        expect(await used()).to.not.include('SubflowDecoderStep');
        setNativeKernelsEnabled(true);
        expect(worstAbsolute(native, plain)).to.be.below(1e-5);
        model.dispose();
      });

      it('a step given stateRows and encoderRows equals selectDecoderRows and selectEncoderRows then the step (more rows than the state, repeats; native and op-by-op)', async function () {
        skipWithoutAddon(this);
        const model = tinyModel();
        const batch = makeBatch(tinyPairs());
        // A beam's reordering: 3 state rows continued by 7 rows, some twice, one not at all.
        const rows = Int32Array.from([2, 0, 2, 1, 1, 2, 0].slice(0, 2 * batch.size + 1));
        // Each row's sentence, not the same map as the state's.
        const encoderRows = Int32Array.from([0, 1, 2, 2, 1, 0, 1].slice(0, rows.length));
        expect(model.stepReadsEncoderRows()).to.equal(true);
        const run = (inPlace: boolean): number[][] =>
          tf.tidy(() => {
            const base = model.encode(batch.src, batch.srcLen);
            const encoder = inPlace ? base : model.selectEncoderRows(base, encoderRows);
            const first = model.decodeStepLogits(
              base,
              new Int32Array(batch.size).fill(BOS_ID),
              model.initialDecoderState(base),
            );
            const tokens = Int32Array.from(rows, (_, i) => 4 + (i % 5));
            const state = inPlace
              ? first.newDecoderState
              : model.selectDecoderRows(first.newDecoderState, rows);
            const next = inPlace
              ? model.decodeStepLogits(encoder, tokens, state, rows, encoderRows)
              : model.decodeStepLogits(encoder, tokens, state);
            return [next.logits, next.newDecoderState.h, next.newDecoderState.c, next.attention].map((t) =>
              Array.from(t.dataSync()),
            );
          });
        const profile = await tf.profile(() => void run(true));
        expect(profile.kernels.map((k) => k.name)).to.include('SubflowDecoderStep');
        const before = tf.memory().numTensors;
        const inPlace = run(true);
        expect(tf.memory().numTensors).to.equal(before);
        const gathered = run(false);
        expect(inPlace[1].length).to.equal(rows.length * model.config.decoderUnits);
        expect(worstAbsolute(inPlace, gathered)).to.equal(0);
        // The same through cblas_sgemm (no packed weights), which reads the rows' h from the step's scratch.
        setPackedProductsEnabled(false);
        const cblas = [run(true), run(false)];
        setPackedProductsEnabled(true);
        expect(worstAbsolute(cblas[0], cblas[1])).to.equal(0);
        setNativeKernelsEnabled(false);
        const opByOp = run(true);
        setNativeKernelsEnabled(true);
        expect(worstAbsolute(opByOp, gathered)).to.be.below(1e-5);
        expect(() =>
          tf.tidy(() => {
            const encoder = model.encode(batch.src, batch.srcLen);
            const state = model.initialDecoderState(encoder);
            model.decodeStepLogits(
              encoder,
              new Int32Array(batch.size).fill(BOS_ID),
              state,
              Int32Array.from([0, 5, 1]),
            );
          }),
        ).to.throw(/stateRows has no valid entry for row 1/);
        expect(() =>
          tf.tidy(() => {
            const encoder = model.encode(batch.src, batch.srcLen);
            const state = model.initialDecoderState(encoder);
            const bos = new Int32Array(batch.size).fill(BOS_ID);
            model.decodeStepLogits(encoder, bos, state, undefined, Int32Array.from([0, 1]));
          }),
        ).to.throw(/encoderRows has no valid entry for row 2/);
        model.dispose();
      });

      it('the C LSTM cell and its gradient match the JS loops (masked rows, saturated and tiny gates)', function () {
        skipWithoutAddon(this);
        const rng = new SeededRandom(8);
        const [batch, units] = [6, 37];
        // Pre-activations from ±12 (saturated) down to ±1e-3 (tanh's series branch).
        const projection = tf.concat(
          [12, 3, 0.2, 1e-3, 1, 6].map((scale) => uniform(rng, [1, 4 * units], scale)),
          0,
        );
        const recurrent = uniform(rng, [batch, 4 * units], 0.5);
        const state = uniform(rng, [2, batch, units], 2);
        const mask = tf.tensor1d([1, 1, 0, 1, 1, 0]);
        const dState = uniform(rng, [2, batch, units], 1);
        const { native, js } = nativeAndJs(() => {
          const [next, grads] = [
            fusedLstmCell(projection as tf.Tensor2D, recurrent as tf.Tensor2D, state as tf.Tensor3D, mask),
            tf.grads((p: tf.Tensor, r: tf.Tensor, s: tf.Tensor) =>
              tf.sum(
                tf.mul(fusedLstmCell(p as tf.Tensor2D, r as tf.Tensor2D, s as tf.Tensor3D, mask), dState),
              ),
            )([projection, recurrent, state]),
          ];
          return [next, ...grads];
        });
        tf.dispose([projection, recurrent, state, mask, dState]);
        expect(worstAbsolute(native, js)).to.be.at.most(2e-6);
      });

      // The second case is large enough for the recurrent products and the row loops to be split
      // over the thread pool (several chunks of panels and of rows a step).
      for (const [batch, time, size, units] of [
        [5, 7, 6, 19],
        [41, 6, 10, 72],
      ]) {
        it(`the native LSTM sequence and its backpropagation through time equal the per-step path and plain tfjs (both directions, padded rows; ${batch} rows, ${units} units)`, async function () {
          if (!loadNativeAddon().status.available) this.skip();
          const rng = new SeededRandom(21);
          const inputs = uniform(rng, [batch, time, size], 1.5) as tf.Tensor3D;
          const kernel = uniform(rng, [size, 4 * units], 0.6) as tf.Tensor2D;
          const recurrent = uniform(rng, [units, 4 * units], 0.6) as tf.Tensor2D;
          const bias = uniform(rng, [4 * units], 0.5) as tf.Tensor1D;
          const h0 = uniform(rng, [batch, units], 0.8) as tf.Tensor2D;
          const c0 = uniform(rng, [batch, units], 2) as tf.Tensor2D;
          const lengths = Array.from({ length: batch }, (_, b) => [time, 3, 5, 1, time][b % 5]);
          const mask = tf.tensor2d(
            lengths.flatMap((n) => Array.from({ length: time }, (_, t) => (t < n ? 1 : 0))),
            [batch, time],
          );
          const weightsOut = uniform(rng, [batch, time, units], 1);
          const weightsFinal = uniform(rng, [2, batch, units], 1);
          /** Outputs, final state and the gradients of a weighted sum of them w.r.t. every input, per direction. */
          const run = (): tf.Tensor[] =>
            [false, true].flatMap((reverse) => {
              const forward = (
                x: tf.Tensor,
                w: tf.Tensor,
                u: tf.Tensor,
                b: tf.Tensor,
                h: tf.Tensor,
                c: tf.Tensor,
              ) =>
                runLstm(
                  x as tf.Tensor3D,
                  { kernel: w as tf.Tensor2D, recurrent: u as tf.Tensor2D, bias: b as tf.Tensor1D },
                  { h: h as tf.Tensor2D, c: c as tf.Tensor2D },
                  { mask, reverse },
                );
              const result = forward(inputs, kernel, recurrent, bias, h0, c0);
              const grads = tf.grads((x, w, u, b, h, c) => {
                const r = forward(x, w, u, b, h, c);
                return tf.add(
                  tf.sum(tf.mul(r.outputs, weightsOut)),
                  tf.sum(tf.mul(tf.stack([r.h, r.c]), weightsFinal)),
                );
              })([inputs, kernel, recurrent, bias, h0, c0]);
              return [result.outputs, result.h, result.c, ...grads];
            });
          const read = (): number[][] => tf.tidy(() => run().map((t) => Array.from(t.dataSync())));
          const profile = await tf.profile(() => tf.tidy(() => void run()));
          const kernelNames = new Set(profile.kernels.map((k) => k.name));
          expect(kernelNames).to.include.keys('SubflowLstmSequence', 'SubflowLstmSequenceGrad');
          const native = read();
          setLstmSequenceKernelsEnabled(false);
          const perStep = read();
          setFusedKernelsEnabled(false);
          const plain = read();
          setFusedKernelsEnabled(true);
          setLstmSequenceKernelsEnabled(true);
          tf.dispose([inputs, kernel, recurrent, bias, h0, c0, mask, weightsOut, weightsFinal]);
          expect(worstAbsolute(native, perStep), 'vs the per-step fused path').to.be.at.most(1e-5);
          expect(worstAbsolute(native, plain), 'vs plain tfjs ops').to.be.at.most(5e-5);
        });
      }

      it('the C label-smoothed cross-entropy and its gradient match the JS loop (PAD rows, peaked rows; rows split over threads)', function () {
        skipWithoutAddon(this);
        const rng = new SeededRandom(10);
        // 7 rows of 300 run as one chunk; 60 rows of 3,000 as several, on every thread of the pool.
        for (const [rows, vocab] of [
          [7, 300],
          [60, 3000],
        ]) {
          const logits = tf.concat(
            [uniform(rng, [rows - 2, vocab], 15), uniform(rng, [2, vocab], 1e-2)],
            0,
          ) as tf.Tensor2D;
          const targets = Int32Array.from({ length: rows }, (_, n) => [5, 0, vocab - 1, 17, 0, 3, 1][n % 7]);
          const loss = (z: tf.Tensor): tf.Scalar => labelSmoothedCrossEntropy(z as tf.Tensor2D, targets, 0.1);
          const { native, js } = nativeAndJs(() => [loss(logits), tf.grad(loss)(logits)]);
          logits.dispose();
          expect(worstAbsolute(native, js), `${rows} × ${vocab}`).to.be.at.most(2e-6);
        }
      });

      it('the C Adam update and Σg² match the JS loops, and Σg² is the same on any thread count', function () {
        skipWithoutAddon(this);
        const rng = new SeededRandom(12);
        // Long enough for several blocks of Σg² and a part per thread; odd so the last part is short.
        const size = 300_001;
        const variable = uniform(rng, [size], 1);
        const gradient = tf.concat([uniform(rng, [size - 2], 5), tf.tensor1d([1e-30, 40])]);
        const m = uniform(rng, [size], 1e-2);
        const v = tf.abs(uniform(rng, [size], 1e-3));
        const attrs = { beta1: 0.9, beta2: 0.98, gradScale: 0.5, stepSize: 1e-3, epsilon: 1e-9 };
        const { native, js } = nativeAndJs(() => [
          ...(tf.engine().runKernel('SubflowAdam', { variable, gradient, m, v }, attrs) as tf.Tensor[]),
          ...(tf.engine().runKernel('SubflowSumOfSquares', { x: gradient }, {}) as tf.Tensor[]),
        ]);
        // Float32 arithmetic against the JS loop's doubles: within a few float32 roundings of each value.
        native.slice(0, 3).forEach((values, i) =>
          values.forEach((value, k) => {
            const expected = js[i][k];
            expect(Math.abs(value - expected), `output ${i}[${k}]`).to.be.at.most(
              4e-7 * Math.max(1, Math.abs(expected)),
            );
          }),
        );
        // The update moved the weights (a no-op kernel would pass the comparison above only if both were).
        expect(worstAbsolute([native[0]], [Array.from(variable.dataSync())])).to.be.above(1e-4);
        const exact = Array.from(gradient.dataSync()).reduce((sum, g) => sum + g * g, 0);
        expect(native[3][0]).to.be.closeTo(exact, exact * 1e-6);
        expect(native[3][0]).to.be.closeTo(js[3][0], exact * 1e-6);
        const { addon } = loadNativeAddon();
        const threadsBefore = addon!.info().threads || 1;
        const values = gradient.dataSync() as Float32Array;
        try {
          const sums = [1, 2, 3].map((threads) => {
            addon!.setThreads(threads);
            return addon!.sumOfSquares(values);
          });
          expect(sums[1]).to.equal(sums[0]);
          expect(sums[2]).to.equal(sums[0]);
        } finally {
          addon!.setThreads(threadsBefore);
        }
        tf.dispose([variable, gradient, m, v]);
      });

      it('log-softmax matches tfjs (C kernel and JS loop), rows of any range', () => {
        const rng = new SeededRandom(9);
        const logits = tf.concat(
          [uniform(rng, [3, 8000], 20), uniform(rng, [2, 8000], 1e-3), tf.fill([1, 8000], 5)],
          0,
        );
        const expected = tf.tidy(() => Array.from(tf.logSoftmax(logits).dataSync()));
        const { native, js } = nativeAndJs(() => [logSoftmaxRows(logits as tf.Tensor2D)]);
        setFusedKernelsEnabled(false);
        const plain = tf.tidy(() => Array.from(logSoftmaxRows(logits as tf.Tensor2D).dataSync()));
        setFusedKernelsEnabled(true);
        logits.dispose();
        expect(worstAbsolute([plain], [expected]), 'tf.logSoftmax where fused kernels are off').to.equal(0);
        expect(worstAbsolute(js, [expected])).to.be.at.most(1e-5);
        expect(worstAbsolute(native, [expected])).to.be.at.most(1e-5);
      });

      it('split (and so the gradient of concat) copies whole blocks along any axis', () => {
        const x = tf.tensor3d(
          Array.from({ length: 2 * 3 * 5 }, (_, i) => i),
          [2, 3, 5],
        );
        const nested = x.arraySync() as number[][][];
        const parts = tf.tidy(() => [
          ...tf.split(x, [2, -1, 1], 2).map((t) => t.arraySync()),
          ...tf.split(x, 2, 0).map((t) => t.arraySync()),
          ...tf.split(x, [1, 2], -2).map((t) => t.arraySync()),
        ]);
        const cut = (from: number, to: number) =>
          nested.map((plane) => plane.map((row) => row.slice(from, to)));
        expect(parts.slice(0, 3)).to.deep.equal([cut(0, 2), cut(2, 4), cut(4, 5)]);
        expect(parts.slice(3, 5)).to.deep.equal([[nested[0]], [nested[1]]]);
        expect(parts.slice(5)).to.deep.equal([
          nested.map((p) => p.slice(0, 1)),
          nested.map((p) => p.slice(1)),
        ]);
        const a = tf.tensor2d([
          [1, 2],
          [3, 4],
        ]);
        const b = tf.tensor2d([[5], [6]]);
        const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.concat([p, q], 1),
              tf.tensor2d([
                [1, 2, 3],
                [4, 5, 6],
              ]),
            ),
          ),
        )([a, b]);
        expect(da.arraySync()).to.deep.equal([
          [1, 2],
          [4, 5],
        ]);
        expect(db.arraySync()).to.deep.equal([[3], [6]]);
        tf.dispose([x, a, b, da, db]);
      });

      it('gather copies whole blocks along any axis and refuses out-of-range indices', () => {
        const x = tf.tensor3d(
          Array.from({ length: 2 * 4 * 20 }, (_, i) => i),
          [2, 4, 20],
        );
        const picked = tf.tidy(() => [
          tf.gather(x, tf.tensor1d([3, 0, 3], 'int32'), 1).arraySync(),
          tf.gather(x, tf.tensor2d([[1], [0]], [2, 1], 'int32'), 0).shape,
          tf.gather(x, tf.tensor1d([19, 2], 'int32'), -1).arraySync(),
          tf
            .gather(
              tf.tensor2d(
                [
                  [1, 2],
                  [3, 4],
                ],
                [2, 2],
                'int32',
              ),
              tf.tensor1d([1, 1], 'int32'),
            )
            .arraySync(),
        ]);
        const rows = x.arraySync() as number[][][];
        expect(picked[0]).to.deep.equal(rows.map((plane) => [plane[3], plane[0], plane[3]]));
        expect(picked[1]).to.deep.equal([2, 1, 4, 20]);
        expect(picked[2]).to.deep.equal(rows.map((plane) => plane.map((row) => [row[19], row[2]])));
        expect(picked[3]).to.deep.equal([
          [3, 4],
          [3, 4],
        ]);
        expect(() => tf.tidy(() => tf.gather(x, tf.tensor1d([4], 'int32'), 1))).to.throw(
          /index value 4 is not in \[0, 3\]/,
        );
        x.dispose();
      });
    });
  }
});
