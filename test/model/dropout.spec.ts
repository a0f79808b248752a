import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { seededDropout, setDropoutKernelEnabled } from '../../model/kernels/dropoutKernel.js';
import { loadNativeAddon } from '../../model/kernels/nativeAddon.js';
import { SeededRandom } from '../../random.js';
import { useBackend, useWasm } from './modelFixtures.js';

/** Names of the kernels `run` dispatched. */
async function kernelsOf(run: () => tf.Tensor): Promise<Set<string>> {
  const profile = await tf.profile(() => run());
  return new Set(profile.kernels.map((k) => k.name));
}

describe('model/kernels/dropoutKernel (seeded dropout in C)', function () {
  this.timeout(60_000);
  after(async () => {
    setDropoutKernelEnabled(true);
    await useWasm();
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    describe(`on ${backend}`, () => {
      before(async function () {
        if (!loadNativeAddon().addon) this.skip();
        await useBackend(backend);
      });

      // 100k elements: several of the thread pool's chunks.
      const rng = new SeededRandom(3);
      const values = Float32Array.from({ length: 100_000 }, () => rng.next() * 4 - 2);
      const rate = 0.3;

      it('keeps each element with probability 1 − rate, scaled by 1/(1 − rate), the same mask for the same seed', async () => {
        const x = tf.tensor2d(values, [250, 400]);
        expect(await kernelsOf(() => seededDropout(x, rate, 11))).to.include('SubflowDropout');
        const before = tf.memory().numTensors;
        const [first, again, other, negative] = tf.tidy(() =>
          [
            seededDropout(x, rate, 11),
            seededDropout(x, rate, 11),
            seededDropout(x, rate, 12),
            seededDropout(x, rate, -11.5),
          ].map((t) => t.dataSync() as Float32Array),
        );
        expect(tf.memory().numTensors).to.equal(before);
        let kept = 0;
        first.forEach((v, i) => {
          if (v === 0) return;
          kept++;
          expect(v).to.equal(Math.fround(values[i] * Math.fround(1 / (1 - rate))));
        });
        // 70 000 expected; the binomial's standard deviation is ≈145.
        expect(kept).to.be.within(69_000, 71_000);
        expect(Array.from(again)).to.deep.equal(Array.from(first));
        // Any number is a seed: −11.5 draws the mask of 11.
        expect(Array.from(negative)).to.deep.equal(Array.from(first));
        const differing = other.reduce((n, v, i) => n + ((v === 0) !== (first[i] === 0) ? 1 : 0), 0);
        // Two independent masks disagree on 2·0.3·0.7 = 42 % of the elements.
        expect(differing).to.be.within(40_000, 44_000);
        x.dispose();
      });

      it('its gradient is dy through the same mask, and the mask does not depend on the thread count', () => {
        const x = tf.tensor1d(values);
        const dy = tf.tensor1d(Float32Array.from(values, (_, i) => (i % 7) - 3));
        const grad = tf.grad((input: tf.Tensor) => seededDropout(input, rate, 5))(x, dy);
        const forward = seededDropout(x, rate, 5).dataSync();
        const gradValues = grad.dataSync();
        const dyValues = dy.dataSync();
        gradValues.forEach((g, i) => {
          const expected = forward[i] === 0 ? 0 : Math.fround(dyValues[i] * Math.fround(1 / (1 - rate)));
          if (g !== expected) expect.fail(`gradient ${i}: ${g}, expected ${expected}`);
        });
        const { addon } = loadNativeAddon();
        const threadsBefore = addon!.info().threads || 1;
        try {
          const masks = [1, 2, 3].map((threads) => {
            addon!.setThreads(threads);
            return Array.from(seededDropout(x, rate, 5).dataSync());
          });
          expect(masks[1]).to.deep.equal(masks[0]);
          expect(masks[2]).to.deep.equal(masks[0]);
        } finally {
          addon!.setThreads(threadsBefore);
        }
        tf.dispose([x, dy, grad]);
      });

      it('falls back to tf.dropout when the kernel is off', async () => {
        const x = tf.tensor1d(values);
        setDropoutKernelEnabled(false);
        try {
          const kernels = await kernelsOf(() => seededDropout(x, rate, 11));
          expect(kernels).to.not.include('SubflowDropout');
          const kept = tf
            .tidy(() => seededDropout(x, rate, 11).dataSync() as Float32Array)
            .filter((v) => v !== 0);
          expect(kept.length).to.be.within(69_000, 71_000);
        } finally {
          setDropoutKernelEnabled(true);
          x.dispose();
        }
      });
    });
  }
});
