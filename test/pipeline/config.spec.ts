import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, parseConfig } from '../../pipeline/config.js';
import { checkStageOrder } from '../../pipeline/runner.js';
import { SubflowError } from '../../errors.js';
import '../../pipeline/stages/index.js';

function configErrorOf(yaml: string): SubflowError {
  try {
    checkStageOrder(parseConfig(yaml, 'my.yaml'));
  } catch (error) {
    expect(error).to.be.instanceOf(SubflowError);
    expect((error as SubflowError).code).to.equal('CONFIG_INVALID');
    return error as SubflowError;
  }
  throw new Error('expected the config to be refused');
}

describe('pipeline config', () => {
  it('fills defaults; the default workDir is runs/<config file name> beside the config', () => {
    const config = parseConfig(
      'stages:\n  - read: { train: { tsv: a.tsv } }\n  - clean: {}\n',
      '/tmp/x/my.yaml',
    );
    expect(config.workDir).to.equal('/tmp/x/runs/my');
    expect(config.backend).to.equal('auto');
    expect(config.name).to.equal('my');
    expect(config.stages.map((s) => s.definition.name)).to.deep.equal(['read', 'clean']);
    expect(config.stages[1].options).to.deep.equal({
      maxLength: 100,
      lengthRatio: 2.5,
      dedupe: true,
      dedupeWindow: 2_000_000,
    });
  });

  it('gives two configs in one folder different default workDirs, so neither resumes the other', () => {
    const stages = 'stages:\n  - read: { train: { tsv: a.tsv } }\n';
    const first = parseConfig(stages, '/tmp/x/first.yaml');
    const second = parseConfig(`name: first\n${stages}`, '/tmp/x/second.yml');
    expect(first.workDir).to.equal('/tmp/x/runs/first');
    expect(second.workDir).to.equal('/tmp/x/runs/second');
    expect(parseConfig(`workDir: out\n${stages}`, '/tmp/x/first.yaml').workDir).to.equal('/tmp/x/out');
  });

  it('names an unknown key with its full path', () => {
    const error = configErrorOf(
      'stages:\n  - read: { train: { tsv: a.tsv } }\n  - clean: { maxLenght: 5 }\n',
    );
    expect(error.message).to.include('stages[1].clean.maxLenght: unknown key');
    expect(error.key).to.equal('stages[1].clean.maxLenght');
  });

  it('names a wrong type and what was expected', () => {
    const error = configErrorOf('seed: one\nstages:\n  - read: { train: { tsv: a.tsv } }\n');
    expect(error.message).to.match(/seed: expected number, received string/);
  });

  it('names a missing required key', () => {
    const error = configErrorOf('backend: wasm\n');
    expect(error.message).to.include('stages: missing required key');
  });

  it('names train.languages when a code is not an ISO 639 language', () => {
    const error = configErrorOf(
      'stages:\n  - read: { train: { tsv: a.tsv } }\n  - clean: {}\n  - trainTokenizer: {}\n  - tokenize: {}\n' +
        '  - bucketBatch: {}\n  - train: { languages: { source: spanish, target: en } }\n',
    );
    expect(error.message).to.include('stages[5].train.languages.source');
    expect(error.message).to.include('"spanish" is not an ISO 639 language code');
  });

  it('lists the known stages for an unknown one', () => {
    const error = configErrorOf('stages:\n  - reed: {}\n');
    expect(error.message).to.include('unknown stage "reed"');
    expect(error.hint).to.include('read').and.include('bucketBatch');
  });

  it('refuses a stage whose inputs no earlier stage provides', () => {
    const error = configErrorOf('stages:\n  - read: { train: { tsv: a.tsv } }\n  - bucketBatch: {}\n');
    expect(error.message).to.include('stages[1].bucketBatch needs encoded');
    expect(error.hint).to.include('tokenize');
  });

  it('reports YAML syntax errors with the line', () => {
    const error = configErrorOf('stages:\n  - read: { train: [\n');
    expect(error.message).to.match(/^my\.yaml:\d+: not valid YAML/);
  });

  it('accepts every config shipped in config/', async () => {
    const dir = fileURLToPath(new URL('../../config/', import.meta.url));
    const files = readdirSync(dir).filter((name) => name.endsWith('.yaml'));
    expect(files).to.include.members(['bible-es-en.yaml', 'bible-es-en-small.yaml', 'toy.yaml']);
    for (const name of files) checkStageOrder(await loadConfig(dir + name));
  });
});
