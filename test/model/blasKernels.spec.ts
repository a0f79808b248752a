import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import {
  blasKernelsActive,
  blasStatus,
  planGemm,
  registerBlasKernels,
  unregisterBlasKernels,
} from '../../model/kernels/blasKernels.js';
import { setNativeKernelsEnabled } from '../../model/kernels/nativeAddon.js';
import { Adam } from '../../model/optimizer.js';
import { search } from '../../model/search.js';
import { SeededRandom } from '../../random.js';
import { makeBatch, tinyModel, tinyPairs, useBackend, useWasm } from './modelFixtures.js';

/** Runs `compute` with the OpenBLAS kernels and with the backend's own, as plain arrays. */
function blasAndPlain(compute: () => tf.Tensor | tf.Tensor[]): { blas: number[][]; plain: number[][] } {
  const read = (): number[][] =>
    tf.tidy(() => {
      const result = compute();
      return (Array.isArray(result) ? result : [result]).map((t) => Array.from(t.dataSync()));
    });
  registerBlasKernels();
  expect(blasKernelsActive(), 'OpenBLAS kernels active').to.equal(true);
  const blas = read();
  unregisterBlasKernels();
  expect(blasKernelsActive()).to.equal(false);
  const plain = read();
  registerBlasKernels();
  return { blas, plain };
}

/** Largest |a − b| / (1 + |b|) over all outputs. */
function worstRelative(actual: number[][], expected: number[][]): number {
  expect(actual.map((a) => a.length)).to.deep.equal(expected.map((e) => e.length));
  let worst = 0;
  actual.forEach((values, i) =>
    values.forEach((v, k) => {
      worst = Math.max(worst, Math.abs(v - expected[i][k]) / (1 + Math.abs(expected[i][k])));
    }),
  );
  return worst;
}

function randomTensor(rng: SeededRandom, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.next() * 2 - 1),
    shape,
  );
}

describe('OpenBLAS matmul kernels', function () {
  this.timeout(60_000);

  it('plans batch strides, broadcasting a batch of one, and leaves general broadcasting alone', () => {
    expect(planGemm([3, 4], [4, 5], false, false)).to.deep.include({
      batch: 1,
      m: 3,
      n: 5,
      k: 4,
      outShape: [3, 5],
    });
    expect(planGemm([4, 3], [5, 4], true, true)).to.deep.include({ m: 3, n: 5, k: 4 });
    expect(planGemm([2, 3, 4], [2, 4, 5], false, false)).to.deep.include({
      batch: 2,
      aStride: 12,
      bStride: 20,
    });
    expect(planGemm([1, 3, 4], [6, 4, 5], false, false)).to.deep.include({
      batch: 6,
      aStride: 0,
      outShape: [6, 3, 5],
    });
    expect(planGemm([2, 3, 3, 4], [4, 5], false, false)).to.deep.include({
      batch: 6,
      bStride: 0,
      outShape: [2, 3, 3, 5],
    });
    expect(planGemm([2, 1, 3, 4], [1, 3, 4, 5], false, false)).to.equal(undefined);
    expect(planGemm([3, 4], [5, 5], false, false), 'inner sizes differ').to.equal(undefined);
  });

  describe('on a machine set up by scripts/setup.sh', () => {
    it('the addon loads and finds OpenBLAS (SUBFLOW_REQUIRE_BLAS=1 in CI makes this mandatory)', function () {
      const status = blasStatus();
      if (!status.available && process.env.SUBFLOW_REQUIRE_BLAS !== '1') this.skip();
      expect(status.available, status.description).to.equal(true);
      expect(status.description).to.match(/^OpenBLAS [\d.]+ \(\w+ kernels[^()]*\), \d+ threads$/);
    });
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    describe(`on ${backend}`, () => {
      before(async function () {
        if (!blasStatus().available) this.skip();
        await useBackend(backend);
      });
      after(useWasm);

      it('matMul equals the plain kernel for every transpose and batch layout', () => {
        const rng = new SeededRandom(3);
        const cases: [number[], number[], boolean, boolean][] = [
          [[7, 5], [5, 9], false, false],
          [[5, 7], [5, 9], true, false],
          [[7, 5], [9, 5], false, true],
          [[5, 7], [9, 5], true, true],
          [[3, 7, 5], [3, 5, 4], false, false],
          [[3, 7, 5], [3, 4, 5], false, true],
          [[1, 7, 5], [4, 5, 2], false, false],
          [[2, 3, 7, 5], [5, 6], false, false],
          [[2, 1, 3, 4], [1, 3, 4, 5], false, false], // general broadcast: the plain kernel runs
          [[0, 5], [5, 3], false, false],
        ];
        const operands = cases.map(([aShape, bShape]) => [
          randomTensor(rng, aShape),
          randomTensor(rng, bShape),
        ]);
        const { blas, plain } = blasAndPlain(() =>
          cases.map(([, , ta, tb], i) => tf.matMul(operands[i][0], operands[i][1], ta, tb)),
        );
        tf.dispose(operands.flat());
        expect(worstRelative(blas, plain)).to.be.at.most(1e-5);
      });

      it('an empty inner dimension gives zeros (plus the bias)', () => {
        registerBlasKernels();
        const [product, withBias] = tf.tidy(() => [
          tf.matMul(tf.zeros([4, 0]), tf.zeros([0, 3])),
          tf.fused.matMul({ a: tf.zeros([2, 0]), b: tf.zeros([0, 3]), bias: tf.tensor1d([1, 2, 3]) }),
        ]);
        expect(Array.from(product.dataSync())).to.deep.equal(new Array(12).fill(0));
        expect(Array.from(withBias.dataSync())).to.deep.equal([1, 2, 3, 1, 2, 3]);
        tf.dispose([product, withBias]);
      });

      it('fused matMul with bias and linear/relu/sigmoid (and elu, left to the plain kernel) matches', () => {
        const rng = new SeededRandom(4);
        const a = randomTensor(rng, [6, 5]);
        const b = randomTensor(rng, [5, 8]);
        const bias = randomTensor(rng, [8]);
        const { blas, plain } = blasAndPlain(() =>
          (['linear', 'relu', 'sigmoid', 'elu'] as const).flatMap((activation) => [
            tf.fused.matMul({ a, b, bias, activation }),
            tf.fused.matMul({ a, b, activation, transposeB: false }),
          ]),
        );
        tf.dispose([a, b, bias]);
        expect(worstRelative(blas, plain)).to.be.at.most(1e-5);
      });

      it('a model loss, its gradients and three Adam steps match the plain kernels', () => {
        const batch = makeBatch(tinyPairs());
        const run = (): number[][] => {
          const model = tinyModel({}, 11);
          const adam = new Adam(model.variables);
          const losses: number[] = [];
          let grads: number[][] = [];
          for (let step = 0; step < 3; step++) {
            const result = tf.variableGrads(
              () => model.loss(batch, { training: false }),
              [...model.variables.values()],
            );
            losses.push(result.value.dataSync()[0]);
            grads = [...model.variables.values()].map((v) => Array.from(result.grads[v.name].dataSync()));
            adam.applyGradients(result.grads);
            tf.dispose([result.value, ...Object.values(result.grads)]);
          }
          const weights = [...model.variables.values()].map((v) => Array.from(v.dataSync()));
          adam.dispose();
          model.dispose();
          return [losses, ...grads, ...weights];
        };
        registerBlasKernels();
        const blas = run();
        unregisterBlasKernels();
        const plain = run();
        registerBlasKernels();
        expect(worstRelative(blas, plain)).to.be.at.most(1e-5);
      });

      it('beam and greedy translations equal the plain kernels (tokens exactly, scores to 1e-5)', () => {
        const model = tinyModel(
          {
            srcVocab: 40,
            tgtVocab: 37,
            embedding: 16,
            encoderUnits: 12,
            decoderUnits: 24,
            attentionalUnits: 20,
          },
          3,
        );
        const rng = new SeededRandom(12);
        const sources = Array.from({ length: 9 }, (_, i) =>
          Int32Array.from([...Array.from({ length: 2 + i }, () => 4 + rng.int(36)), 2]),
        );
        const decode = () =>
          [1, 4].map((beam) => search(model, sources, { beam, nBest: beam === 1 ? 1 : 2 }));
        registerBlasKernels();
        setNativeKernelsEnabled(true);
        const fast = decode();
        unregisterBlasKernels();
        setNativeKernelsEnabled(false);
        const plain = decode();
        setNativeKernelsEnabled(true);
        registerBlasKernels();
        model.dispose();
        fast.forEach((bySentence, v) =>
          bySentence.forEach((hypotheses, i) =>
            hypotheses.forEach((h, k) => {
              const other = plain[v][i][k];
              expect(Array.from(h.tokens), `variant ${v} sentence ${i} hypothesis ${k}`).to.deep.equal(
                Array.from(other.tokens),
              );
              expect(h.score).to.be.closeTo(other.score, 1e-5);
            }),
          ),
        );
      });

      it('keeps no tensors behind across training steps', () => {
        registerBlasKernels();
        const model = tinyModel({}, 5);
        const adam = new Adam(model.variables);
        const batch = makeBatch(tinyPairs());
        const step = (): void => {
          const { value, grads } = tf.variableGrads(
            () => model.loss(batch, { training: true, seed: 1 }),
            [...model.variables.values()],
          );
          adam.applyGradients(grads);
          tf.dispose([value, ...Object.values(grads)]);
        };
        step();
        const before = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) step();
        expect(tf.memory().numTensors).to.equal(before);
        adam.dispose();
        model.dispose();
      });
    });
  }
});
