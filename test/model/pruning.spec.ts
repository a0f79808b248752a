import { expect } from 'chai';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { assignWeights, loadCheckpoint, saveCheckpoint } from '../../model/checkpoint.js';
import { scheduledSparsity, type PruneOptions } from '../../model/pruning.js';
import { Trainer, type TrainerState } from '../../model/trainer.js';
import type { ResumeState } from '../../model/checkpointFormat.js';
import { useTempDir } from '../helpers/tempDir.js';
import { makeBatch, tinyModel, tinyPairs, useBackend } from './modelFixtures.js';

const PRUNE: PruneOptions = { target: 0.5, startStep: 2, endStep: 8, every: 2 };
const STEPS = 12;

function matrices(model: ReturnType<typeof tinyModel>): [string, Float32Array][] {
  return [...model.variables]
    .filter(([, v]) => v.shape.length === 2)
    .map(([name, v]) => [name, v.dataSync() as Float32Array]);
}

function resumeStateOf(state: TrainerState): ResumeState {
  return {
    step: state.step,
    epoch: 1,
    batchesInEpoch: state.step,
    seed: state.seed,
    schedule: state.schedule,
    bestScore: null,
    bestStep: null,
    badValidations: 0,
    elapsedMs: 0,
    optimizer: state.optimizer,
    ...(state.pruneMasks ? { pruneMasks: state.pruneMasks } : {}),
  };
}

describe('magnitude pruning', function () {
  this.timeout(120_000);
  const dir = useTempDir('subflow-prune-');
  let previous = '';
  before(async () => {
    previous = await useBackend('cpu');
  });
  after(async () => {
    if (previous) await tf.setBackend(previous);
  });

  it('follows the cubic schedule of Zhu & Gupta from startStep to endStep', () => {
    expect(scheduledSparsity(0, PRUNE)).to.equal(0);
    expect(scheduledSparsity(2, PRUNE)).to.equal(0);
    expect(scheduledSparsity(5, PRUNE)).to.be.closeTo(0.5 * (1 - 0.5 ** 3), 1e-12);
    expect(scheduledSparsity(8, PRUNE)).to.equal(0.5);
    expect(scheduledSparsity(100, PRUNE)).to.equal(0.5);
  });

  it('keeps pruned weights zero after every Adam step and reaches the target sparsity in every matrix', () => {
    const model = tinyModel();
    const trainer = new Trainer(model, { learningRate: 0.05, prune: PRUNE });
    const batch = makeBatch(tinyPairs());
    let lastSparsity = 0;
    for (let step = 1; step <= STEPS; step++) {
      trainer.step(batch);
      const masks = new Map((trainer.getState().pruneMasks ?? []).map((m) => [m.name, m.values]));
      expect(masks.size, `step ${step}`).to.equal(step >= 4 ? matrices(model).length : 0);
      let zeros = 0;
      let total = 0;
      for (const [name, values] of matrices(model)) {
        const mask = masks.get(name);
        if (mask)
          values.forEach((v, i) => mask[i] === 0 && expect(v, `${name}[${i}] at step ${step}`).to.equal(0));
        total += values.length;
        zeros += values.filter((v) => v === 0).length;
      }
      expect(zeros / total, `step ${step}`).to.be.at.least(lastSparsity);
      lastSparsity = zeros / total;
    }
    for (const [name, values] of matrices(model)) {
      const zeros = values.filter((v) => v === 0).length;
      expect(zeros, name).to.equal(Math.round(0.5 * values.length));
    }
    trainer.dispose();
    model.dispose();
  });

  it('keeps the masks through a checkpoint and resume: the same weights as an uninterrupted run', () => {
    const batch = makeBatch(tinyPairs());
    const uninterrupted = tinyModel();
    const trainer = new Trainer(uninterrupted, { learningRate: 0.05, prune: PRUNE });
    for (let step = 1; step <= STEPS; step++) trainer.step(batch);

    const first = tinyModel();
    const firstTrainer = new Trainer(first, { learningRate: 0.05, prune: PRUNE });
    for (let step = 1; step <= 5; step++) firstTrainer.step(batch); // stops mid-schedule
    const folder = join(dir(), 'last');
    saveCheckpoint(folder, first, { resume: resumeStateOf(firstTrainer.getState()) });
    const loaded = loadCheckpoint(folder, { resume: true });
    expect(loaded.resume!.pruneMasks!.map((m) => m.name)).to.deep.equal(matrices(first).map(([n]) => n));
    expect(loaded.model.sparsity).to.be.greaterThan(0);

    const second = tinyModel({}, 99);
    assignWeights(second, loaded);
    const secondTrainer = new Trainer(second, { learningRate: 0.05, prune: PRUNE });
    secondTrainer.setState({ ...loaded.resume!, optimizer: loaded.resume!.optimizer });
    for (let step = 6; step <= STEPS; step++) secondTrainer.step(batch);
    const expected = new Map(matrices(uninterrupted));
    for (const [name, values] of matrices(second))
      expect(Array.from(values), name).to.deep.equal(Array.from(expected.get(name)!));
    for (const t of [trainer, firstTrainer, secondTrainer]) t.dispose();
    for (const m of [uninterrupted, first, second]) m.dispose();
  });
});
