import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { setFusedKernelsEnabled } from '../../model/kernels/fusedKernels.js';
import { WASM_TRAINING_KERNELS, registerWasmTrainingKernels } from '../../model/kernels/wasmKernels.js';
import { SeededRandom } from '../../random.js';
import { makeBatch, tinyModel, tinyPairs, useBackend, useWasm } from './modelFixtures.js';

/** Runs `compute` on wasm and on cpu and returns both results as plain arrays. */
async function onBothBackends(
  compute: () => tf.Tensor | tf.Tensor[],
): Promise<{ wasm: number[][]; cpu: number[][] }> {
  const read = (): number[][] =>
    tf.tidy(() => {
      const result = compute();
      return (Array.isArray(result) ? result : [result]).map((t) => Array.from(t.dataSync()));
    });
  await useBackend('wasm');
  const wasm = read();
  await useBackend('cpu');
  const cpu = read();
  await useWasm();
  return { wasm, cpu };
}

function expectClose(actual: number[][], expected: number[][], tolerance: number): void {
  expect(actual.length).to.equal(expected.length);
  actual.forEach((values, i) => {
    expect(values.length).to.equal(expected[i].length);
    const worst = values.reduce((m, v, k) => Math.max(m, Math.abs(v - expected[i][k])), 0);
    expect(worst, `output ${i}`).to.be.at.most(tolerance);
  });
}

describe('wasm training kernels', function () {
  this.timeout(60_000);
  before(useWasm);
  after(() => setFusedKernelsEnabled(true));

  it('registers UnsortedSegmentSum for wasm, idempotently', () => {
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
    expect(WASM_TRAINING_KERNELS).to.include('UnsortedSegmentSum');
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).to.not.equal(undefined);
  });

  it('UnsortedSegmentSum equals the cpu backend (repeated and out-of-range ids, 3-D and 2-D data)', async () => {
    const rng = new SeededRandom(2);
    const data = Float32Array.from({ length: 6 * 4 * 3 }, () => rng.next() - 0.5);
    const ids = Int32Array.from([0, 2, 2, 5, -1, 4]);
    const { wasm, cpu } = await onBothBackends(() => [
      tf.unsortedSegmentSum(tf.tensor(data, [6, 4, 3]), tf.tensor1d(ids, 'int32'), 6),
      tf.unsortedSegmentSum(tf.tensor(data, [6, 12]), tf.tensor1d(ids, 'int32'), 7),
    ]);
    expectClose(wasm, cpu, 1e-6);
  });

  it('the gradient of gather (embedding lookup) equals the cpu backend', async () => {
    const table = Float32Array.from({ length: 7 * 3 }, (_, i) => Math.sin(i));
    const { wasm, cpu } = await onBothBackends(() =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor2d([1, 3, 3, 6], [2, 2], 'int32')), 2)))(
        tf.tensor2d(table, [7, 3]),
      ),
    );
    expectClose(wasm, cpu, 1e-6);
  });

  it('the faster Unpack equals the cpu backend on every axis', async () => {
    const values = Float32Array.from({ length: 3 * 4 * 5 }, (_, i) => i);
    const { wasm, cpu } = await onBothBackends(() =>
      [0, 1, 2].flatMap((axis) => tf.unstack(tf.tensor3d(values, [3, 4, 5]), axis)),
    );
    expectClose(wasm, cpu, 0);
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`fused LSTM cell and loss kernels give the plain ops' loss and gradients on ${backend}`, async () => {
      await useBackend(backend);
      const model = tinyModel({ labelSmoothing: 0.1 });
      const batch = makeBatch(tinyPairs());
      const run = (): number[][] =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(
            () => model.loss(batch, { training: false }),
            [...model.variables.values()],
          );
          return [
            [value.dataSync()[0]],
            ...[...model.variables.values()].map((v) => Array.from(grads[v.name].dataSync())),
          ];
        });
      setFusedKernelsEnabled(true);
      const fused = run();
      setFusedKernelsEnabled(false);
      const plain = run();
      setFusedKernelsEnabled(true);
      model.dispose();
      await useWasm();
      expectClose(fused, plain, 1e-6);
    });
  }
});
