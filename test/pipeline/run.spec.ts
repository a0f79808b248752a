import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';
import { toyConfigYaml } from '../helpers/toyConfig.js';

const toy = fileURLToPath(new URL('../../corpora/toy/', import.meta.url));

describe('subflow run', () => {
  const dir = useTempDir();

  it('runs corpus → tokenizer → batches → training from a config and resumes on a rerun', async () => {
    const config = join(dir(), 'toy.yaml');
    writeFileSync(
      config,
      toyConfigYaml(
        `languages: { source: spa, target: en }
maxSteps: 4
validateEvery: 2
checkpointEvery: 2`,
      ),
    );
    const first = await runCli(['run', '-q', config]);
    expect(first.stderr).to.match(/backend wasm/);
    expect(first.stderr).to.match(/validation at step 2: loss [\d.]+, BLEU [\d.]+, chrF2 [\d.]+/);
    expect(first.code, first.stderr).to.equal(0);
    const report = JSON.parse(first.stdout) as {
      train: { steps: number; reason: string; checkpoint: string };
    };
    expect(report.train).to.include({ steps: 4, reason: 'max-steps' });
    const checkpoint = report.train.checkpoint;
    for (const file of ['model.json', 'weights.bin', 'source.model', 'target.model']) {
      expect(existsSync(join(checkpoint, file)), file).to.equal(true);
    }
    const trainer = JSON.parse(readFileSync(join(dir(), 'run/checkpoints/last/trainer.json'), 'utf8')) as {
      step: number;
    };
    expect(trainer.step).to.equal(4);
    // ISO 639-2 in the config, ISO 639-1 in every checkpoint.
    for (const folder of [checkpoint, join(dir(), 'run/checkpoints/last')]) {
      const model = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as { languages: unknown };
      expect(model.languages).to.deep.equal({ source: 'es', target: 'en' });
    }

    // Raising maxSteps and rerunning continues from last/ with the same tokenizer.
    writeFileSync(config, readFileSync(config, 'utf8').replace('maxSteps: 4', 'maxSteps: 6'));
    const second = await runCli(['run', '-q', config]);
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stderr).to.include('reusing the models').and.include('resuming from');
    expect((JSON.parse(second.stdout) as { train: { steps: number } }).train.steps).to.equal(6);
  });

  it('refuses a model vocabulary that disagrees with the tokenizer, naming the key', async () => {
    const config = join(dir(), 'vocab.yaml');
    writeFileSync(
      config,
      `workDir: vocab
backend: wasm
stages:
  - read: { train: { source: ${toy}train.es, target: ${toy}train.en } }
  - trainTokenizer: { vocabSize: 300 }
  - tokenize: {}
  - bucketBatch: {}
  - train: { model: { srcVocab: 8000 }, maxSteps: 1 }
`,
    );
    const result = await runCli(['run', '-q', config]);
    expect(result.code).to.equal(1);
    expect(result.stderr)
      .to.include('train.model.srcVocab is 8000 but the tokenizer')
      .and.include('300 pieces');
    expect(result.stderr).to.not.include('    at ');
  });

  it('prints a config error without a stack trace and exits non-zero', async () => {
    const config = join(dir(), 'bad.yaml');
    writeFileSync(config, 'stages:\n  - read: { train: { tsv: x.tsv }, extra: 1 }\n');
    const result = await runCli(['run', config]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('stages[0].read.extra: unknown key');
    expect(result.stderr).to.not.include('    at ');
  });

  it('stops at clean when it keeps 0 pairs, saying why, before spm_train runs', async () => {
    const config = join(dir(), 'clean0.yaml');
    writeFileSync(
      config,
      `workDir: clean0
backend: wasm
stages:
  - read: { train: { source: ${toy}train.es, target: ${toy}train.en } }
  - clean: { maxLength: 1 }
  - trainTokenizer: { vocabSize: 300 }
`,
    );
    const result = await runCli(['run', '-q', config]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(
      /clean kept 0 of \d+ pairs of .*train\.es: \d+ longer than maxLength 1 words/,
    );
    expect(result.stderr).to.match(/hint: raise maxLength/);
    expect(result.stderr).to.not.match(/spm_train|trainer_interface/);
  });

  it('checks every input path of the config, naming its key, before any stage runs', async () => {
    const config = join(dir(), 'missing.yaml');
    writeFileSync(
      config,
      `workDir: missing
backend: wasm
stages:
  - read:
      train: { source: ${toy}train.es, target: ${toy}train.en }
      dev: { source: ${toy}dev.es, target: nowhere/dev.en }
  - clean: {}
  - trainTokenizer: { vocabSize: 300 }
`,
    );
    const result = await runCli(['run', '-q', config]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include(
      `subflow: ${config}: stages[0].read.dev.target: nowhere/dev.en does not exist (looked for ${join(dir(), 'nowhere', 'dev.en')})`,
    );
    expect(result.stderr).to.not.include('trainTokenizer');
    expect(existsSync(join(dir(), 'missing'))).to.equal(false); // the workDir was not even created

    writeFileSync(join(dir(), 'afile'), 'x');
    writeFileSync(
      config,
      `workDir: afile/run
stages:
  - loadTokenizer: { source: ${toy}, target: ${toy}none.model }
`,
    );
    const three = await runCli(['run', '-q', config]);
    expect(three.code).to.equal(1);
    expect(three.stderr).to.include(`${config}: 3 paths cannot be used`);
    expect(three.stderr).to.include(
      `workDir: ${join(dir(), 'afile', 'run')} cannot be created: ${join(dir(), 'afile')} is a file, not a folder`,
    );
    expect(three.stderr).to.include(`stages[0].loadTokenizer.source: ${toy} is a folder, not a file`);
    expect(three.stderr).to.include(`stages[0].loadTokenizer.target: ${toy}none.model does not exist`);
  });
});
