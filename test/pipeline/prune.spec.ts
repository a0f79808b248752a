import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';
import { toyConfigYaml } from '../helpers/toyConfig.js';

const configText = (prune: string): string =>
  toyConfigYaml(
    `maxSteps: 4
validateEvery: 4
checkpointEvery: 2
prune: ${prune}`,
  );

describe('train stage: prune', function () {
  this.timeout(600_000);
  const dir = useTempDir('subflow-prune-run-');

  it('trains to the target sparsity, records it in model.json, and export-model reports it', async () => {
    const config = join(dir(), 'toy.yaml');
    writeFileSync(config, configText('{ target: 0.5, startStep: 1, endStep: 3, every: 1 }'));
    const result = await runCli(['run', '-q', config]);
    expect(result.code, result.stderr).to.equal(0);
    const last = join(dir(), 'run/checkpoints/last');
    const model = JSON.parse(readFileSync(join(last, 'model.json'), 'utf8')) as { sparsity?: number };
    expect(model.sparsity).to.be.closeTo(0.5, 1e-3);
    const trainer = JSON.parse(readFileSync(join(last, 'trainer.json'), 'utf8')) as {
      optimizer: { slots: { name: string }[] };
    };
    expect(trainer.optimizer.slots.some((s) => s.name === 'decoder/out/kernel/mask')).to.equal(true);
    const exported = await runCli(['export-model', last, join(dir(), 'exported'), '--dtype', 'int8']);
    expect(exported.code, exported.stderr).to.equal(0);
    expect(exported.stderr).to.match(/, 50\.0 % of matrix weights zero \(recorded as sparsity\)\)/);
    const exportedJson = JSON.parse(readFileSync(join(dir(), 'exported/model.json'), 'utf8')) as {
      sparsity?: number;
    };
    expect(exportedJson.sparsity).to.be.closeTo(0.5, 1e-3);
  });

  it('picks best/ only among validations at the full sparsity, where patience also starts counting', async () => {
    const config = join(dir(), 'best.yaml');
    // Validations at steps 1–5; pruning ends at step 3. At a learning rate this small only pruning moves
    // the loss, upwards: the dense model of step 1 would be best, and patience 1 would stop at step 2.
    writeFileSync(
      config,
      toyConfigYaml(
        `maxSteps: 5
learningRate: 1e-9
validateEvery: 1
checkpointEvery: 1
earlyStopping: { metric: loss, patience: 1 }
prune: { target: 0.5, startStep: 0, endStep: 3, every: 1 }`,
        'best-run',
      ),
    );
    const result = await runCli(['run', '-q', config]);
    expect(result.code, result.stderr).to.equal(0);
    const best = JSON.parse(readFileSync(join(dir(), 'best-run/checkpoints/best/model.json'), 'utf8')) as {
      sparsity?: number;
      training: { step: number };
    };
    expect(best.training.step).to.be.at.least(3);
    expect(best.sparsity).to.be.closeTo(0.5, 1e-3);
  });

  it('refuses an endStep not after startStep, naming the key', async () => {
    const config = join(dir(), 'bad.yaml');
    writeFileSync(config, configText('{ target: 0.5, startStep: 5, endStep: 5 }'));
    const result = await runCli(['run', '-q', config]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/prune\.endStep/);
    expect(result.stderr).to.match(/endStep must be greater than startStep/);
  });
});
