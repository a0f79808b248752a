import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { matMul2d } from '../../model/dense.js';
import { labelSmoothedCrossEntropy } from '../../model/loss.js';
import { loadNativeAddon } from '../../model/kernels/nativeAddon.js';
import { setOutputLossKernelEnabled } from '../../model/kernels/outputLossKernel.js';
import { outputLayerLoss } from '../../model/outputLoss.js';
import { SeededRandom } from '../../random.js';
import { PAD_ID } from '../../types.js';
import { useBackend, useWasm } from './modelFixtures.js';

describe('model/outputLoss (chunked output layer + loss)', function () {
  this.timeout(60_000);
  after(async () => {
    setOutputLossKernelEnabled(true);
    await useWasm();
  });

  // The native kernel (one C call) where the addon is built, and the tfjs chunk loop; a vocabulary
  // of 2500 makes the C bias sums share its columns out in several pieces.
  const paths = [
    { name: 'the native kernel', native: true },
    { name: 'tfjs chunks', native: false },
  ];
  const sizes = [
    [24, 37],
    [16, 2500],
  ];
  for (const backend of ['wasm', 'cpu'] as const)
    for (const path of paths)
      for (const [units, vocab] of sizes) {
        it(`equals matMul2d + labelSmoothedCrossEntropy in value and gradients, over several chunks, on ${backend} through ${path.name}, vocab ${vocab}`, async function () {
          if (path.native && !loadNativeAddon().status.available) this.skip();
          await useBackend(backend);
          setOutputLossKernelEnabled(path.native);
          const rng = new SeededRandom(5);
          // 600 tokens: chunks of 256, 256 and 88; every seventh token is PAD.
          const tokens = 600;
          const hidden = tf.tensor2d(
            Float32Array.from({ length: tokens * units }, () => rng.next() * 2 - 1),
            [tokens, units],
          );
          const kernel = tf.tensor2d(
            Float32Array.from({ length: units * vocab }, () => (rng.next() * 2 - 1) * 0.5),
            [units, vocab],
          );
          const bias = tf.tensor1d(Float32Array.from({ length: vocab }, () => rng.next() - 0.5));
          const targets = Int32Array.from({ length: tokens }, (_, i) =>
            i % 7 === 3 ? PAD_ID : 1 + rng.int(vocab - 1),
          );
          const compute = (fused: boolean): number[][] =>
            tf.tidy(() => {
              const f = (h: tf.Tensor, k: tf.Tensor, b: tf.Tensor): tf.Scalar =>
                fused
                  ? outputLayerLoss(h as tf.Tensor2D, k as tf.Tensor2D, b as tf.Tensor1D, targets, 0.1)
                  : labelSmoothedCrossEntropy(
                      matMul2d(h as tf.Tensor2D, k as tf.Tensor2D, b as tf.Tensor1D),
                      targets,
                      0.1,
                    );
              const { value, grads } = tf.valueAndGrads(f)([hidden, kernel, bias]);
              return [value, ...grads].map((t) => Array.from(t.dataSync()));
            });
          const before = tf.memory().numTensors;
          const profile = await tf.profile(() => void compute(true));
          const kernels = new Set(profile.kernels.map((k) => k.name));
          expect(kernels.has('SubflowOutputLoss'), 'ran SubflowOutputLoss').to.equal(path.native);
          const fused = compute(true);
          const plain = compute(false);
          expect(tf.memory().numTensors).to.equal(before);
          expect(fused.map((a) => a.length)).to.deep.equal(plain.map((a) => a.length));
          fused.forEach((values, i) =>
            values.forEach((v, k) => expect(v, `output ${i}[${k}]`).to.be.closeTo(plain[i][k], 1e-5)),
          );
          // PAD tokens get no gradient
          expect(fused[1].slice(3 * units, 4 * units).every((v) => v === 0)).to.equal(true);
          tf.dispose([hidden, kernel, bias]);
        });
      }
});
