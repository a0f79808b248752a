import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { DataParallelGradients, sliceBatch } from '../../model/dataParallel.js';
import { makeBatch, tinyModel, tinyPairs, useWasm } from './modelFixtures.js';

describe('DataParallelGradients', function () {
  this.timeout(120_000);
  before(useWasm);

  it('sliceBatch keeps padded lengths and recounts target tokens', () => {
    const batch = makeBatch(tinyPairs());
    const tail = sliceBatch(batch, 1, 3);
    expect(tail.size).to.equal(2);
    expect(tail.srcMax).to.equal(batch.srcMax);
    expect(tail.targetTokens).to.equal(5 + 2);
    expect(Array.from(tail.src.slice(0, 3))).to.deep.equal([9, 8, 2]);
  });

  it('two threads give the single-thread loss and gradients (dropout off)', async () => {
    const model = tinyModel();
    const pairs = [...tinyPairs(), { src: [5, 5, 5, 5, 5], tgt: [6, 7] }];
    const batch = makeBatch(pairs);
    const variables = [...model.variables.values()];
    const single = tf.variableGrads(() => model.loss(batch, { training: false }), variables);
    const parallel = await DataParallelGradients.start(model, { backend: 'wasm', seed: 7 });
    // Change the main weights after start: the step must copy them to the replica.
    const output = model.variables.get('decoder/out/kernel')!;
    output.assign(tf.mul(output, 1.5));
    const expected = tf.variableGrads(() => model.loss(batch, { training: false }), variables);
    const both = await parallel.compute(batch, { training: false, seed: 1 });
    await parallel.dispose();
    expect(both.loss.dataSync()[0]).to.be.closeTo(expected.value.dataSync()[0], 1e-5);
    expect(expected.value.dataSync()[0]).to.not.be.closeTo(single.value.dataSync()[0], 1e-4);
    for (const variable of variables) {
      const a = Array.from(both.grads[variable.name].dataSync());
      const b = expected.grads[variable.name].dataSync();
      const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      expect(worst, variable.name).to.be.below(1e-6);
    }
    tf.dispose([single.value, both.loss, expected.value, single.grads, both.grads, expected.grads]);
    model.dispose();
  });
});
