import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { Trainer, dropoutSeed } from '../../model/trainer.js';
import { MODEL_KINDS, reverseBatches, useCpuBackend } from './fakeModel.js';

describe('model/trainer', () => {
  before(useCpuBackend);

  for (const kind of MODEL_KINDS) {
    describe(kind.name, () => {
      it('lowers the loss on a repeated batch and reports norm, rate and tokens', () => {
        const model = kind.create();
        const trainer = new Trainer(model, { learningRate: 0.01 });
        const [batch] = reverseBatches(1, 5);
        const first = trainer.step(batch);
        let last = first;
        for (let i = 0; i < 15; i++) last = trainer.step(batch);
        expect(last.loss).to.be.lessThan(first.loss * 0.9);
        expect(first.gradNorm).to.be.greaterThan(0);
        expect(first).to.include({ learningRate: 0.01, targetTokens: batch.targetTokens, skipped: false });
        expect(trainer.stepCount).to.equal(16);
        trainer.dispose();
        model.dispose();
      });

      it('holds no new tensors across steps and validations', () => {
        const model = kind.create();
        const trainer = new Trainer(model);
        const batches = reverseBatches(4, 9);
        trainer.step(batches[0]);
        trainer.validate(batches);
        const before = tf.memory().numTensors;
        for (const batch of batches) trainer.step(batch);
        trainer.validate(batches);
        expect(tf.memory().numTensors).to.equal(before);
        trainer.dispose();
        model.dispose();
      });

      it('a state restored into a fresh trainer continues with identical losses', () => {
        const batches = reverseBatches(6, 11);
        const model = kind.create();
        const trainer = new Trainer(model, { seed: 4, schedule: { kind: 'inverse-sqrt', warmupSteps: 2 } });
        const uninterrupted = batches.map((b) => trainer.step(b).loss);

        const first = kind.create();
        const firstTrainer = new Trainer(first, {
          seed: 4,
          schedule: { kind: 'inverse-sqrt', warmupSteps: 2 },
        });
        batches.slice(0, 3).forEach((b) => firstTrainer.step(b));
        const second = kind.create(99); // different initial weights, overwritten below
        for (const [name, variable] of first.variables) second.variables.get(name)!.assign(variable);
        const secondTrainer = new Trainer(second, {
          seed: 123,
          schedule: { kind: 'inverse-sqrt', warmupSteps: 2 },
        });
        secondTrainer.setState(firstTrainer.getState());
        const resumed = batches.slice(3).map((b) => secondTrainer.step(b).loss);
        expect(resumed).to.deep.equal(uninterrupted.slice(3));
        const fresh = kind.create();
        for (const [name, variable] of model.variables) {
          const weights = Array.from(variable.dataSync());
          expect(Array.from(second.variables.get(name)!.dataSync()), name).to.deep.equal(weights);
          expect(Array.from(fresh.variables.get(name)!.dataSync()), name).not.to.deep.equal(weights); // it trained
        }
        fresh.dispose();
        for (const t of [trainer, firstTrainer, secondTrainer]) t.dispose();
        for (const m of [model, first, second]) m.dispose();
      });
    });
  }

  it('validation loss is the token-weighted mean over batches, without dropout', () => {
    const model = MODEL_KINDS[0].create();
    const trainer = new Trainer(model);
    const batches = [
      ...reverseBatches(1, 1, { rows: 1, maxLength: 3 }),
      ...reverseBatches(1, 2, { rows: 6 }),
    ];
    const perBatch = batches.map((b) => tf.tidy(() => model.loss(b, { training: false }).dataSync()[0]));
    const tokens = batches.map((b) => b.targetTokens);
    const expected = (perBatch[0] * tokens[0] + perBatch[1] * tokens[1]) / (tokens[0] + tokens[1]);
    const result = trainer.validate(batches);
    expect(result.targetTokens).to.equal(tokens[0] + tokens[1]);
    expect(result.loss).to.be.closeTo(expected, 1e-6);
    expect(trainer.validate(batches).loss).to.equal(result.loss); // deterministic: no dropout
    trainer.dispose();
    model.dispose();
  });

  it('dropout seeds depend on seed and step only, and differ between neighbours', () => {
    expect(dropoutSeed(1, 5)).to.equal(dropoutSeed(1, 5));
    const seeds = new Set(Array.from({ length: 1000 }, (_, step) => dropoutSeed(1, step)));
    expect(seeds.size).to.equal(1000);
    expect(dropoutSeed(2, 5)).not.to.equal(dropoutSeed(1, 5));
  });
});
