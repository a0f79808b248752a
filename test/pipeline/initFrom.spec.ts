import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../model/checkpoint.js';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';
import { toyConfigYaml } from '../helpers/toyConfig.js';

describe('train stage: initFrom', function () {
  this.timeout(600_000);
  const dir = useTempDir('subflow-init-from-');
  const first = () => join(dir(), 'first/checkpoints/last');

  /** A toy config whose train stage starts from the first run's checkpoint. */
  function secondConfig(name: string, trainKeys: string, tokenizer = 'loadTokenizer'): string {
    const tokenizerStage =
      tokenizer === 'loadTokenizer'
        ? `loadTokenizer: { source: ${first()}/source.model, target: ${first()}/target.model }`
        : tokenizer;
    const file = join(dir(), `${name}.yaml`);
    writeFileSync(
      file,
      toyConfigYaml(`initFrom: ${first()}\n${trainKeys}`, name).replace(
        'trainTokenizer: { vocabSize: 300 }',
        tokenizerStage,
      ),
    );
    return file;
  }

  before(async () => {
    const config = join(dir(), 'first.yaml');
    writeFileSync(config, toyConfigYaml('maxSteps: 3\ncheckpointEvery: 3', 'first'));
    const result = await runCli(['run', '-q', config]);
    expect(result.code, result.stderr).to.equal(0);
  });

  it("starts training from the checkpoint's weights", async () => {
    // One step at a negligible learning rate: the weights stay the first run's, where a fresh
    // initialisation would differ everywhere.
    const result = await runCli(['run', secondConfig('second', 'maxSteps: 1\nlearningRate: 1e-9')]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.include(`train: starting from the weights of ${first()}`);
    const before = loadCheckpoint(first()).weights;
    const after = loadCheckpoint(join(dir(), 'second/checkpoints/last')).weights;
    expect([...after.keys()]).to.deep.equal([...before.keys()]);
    for (const [name, { values }] of after) {
      const original = before.get(name)!.values;
      const largest = values.reduce((max, v, i) => Math.max(max, Math.abs(v - original[i])), 0);
      expect(largest, name).to.be.below(1e-5);
    }
  });

  it('refuses another architecture, naming the key and what differs', async () => {
    const config = secondConfig('wider', 'maxSteps: 1');
    writeFileSync(config, readFileSync(config, 'utf8').replace('decoderUnits: 32', 'decoderUnits: 48'));
    const result = await runCli(['run', '-q', config]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(
      /train\.initFrom: .* has another architecture: decoderUnits is 32 there but 48 here/,
    );
  });

  it('refuses a checkpoint trained with other tokenizers', async () => {
    const config = secondConfig('bpe', 'maxSteps: 1', 'trainTokenizer: { vocabSize: 300, modelType: bpe }');
    const result = await runCli(['run', '-q', config]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/train\.initFrom: .* was trained with another source tokenizer/);
    expect(result.stderr).to.include('loadTokenizer');
  });

  it('names the key of a folder that does not exist before any stage runs', async () => {
    const config = join(dir(), 'missing.yaml');
    writeFileSync(config, toyConfigYaml(`initFrom: ${join(dir(), 'nowhere')}\nmaxSteps: 1`, 'missing'));
    const result = await runCli(['run', '-q', config]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/stages\[\d\]\.train\.initFrom: .*nowhere/);
  });
});
