import { expect } from 'chai';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { ModelComparison } from '../../jobs/compareModels.js';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';

const bundled = fileURLToPath(new URL('../../models/bible-es-en', import.meta.url));
const corpus = fileURLToPath(new URL('../../corpora/bible-es-en', import.meta.url));

const firstLines = (file: string, n: number): string =>
  gunzipSync(readFileSync(file)).toString('utf8').split('\n').slice(0, n).join('\n') + '\n';

describe('subflow compare-models', function () {
  this.timeout(600_000);
  const dir = useTempDir('subflow-compare-');
  let src = '';
  let ref = '';
  before(() => {
    src = join(dir(), 'test.es');
    ref = join(dir(), 'test.en');
    writeFileSync(src, firstLines(join(corpus, 'test.es.gz'), 6));
    writeFileSync(ref, firstLines(join(corpus, 'test.en.gz'), 6));
  });

  it('reports each model in its own process with the scores eval gives, sizes from the folders, and a peak RSS', async () => {
    const float32 = join(dir(), 'float32');
    expect((await runCli(['export-model', bundled, float32, '--dtype', 'float32'])).code).to.equal(0);
    const result = await runCli(['compare-models', 'default', float32, '--src', src, '--ref', ref, '--json']);
    expect(result.code, result.stderr).to.equal(0);
    const [half, full] = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ModelComparison);
    expect(half.model).to.equal(bundled);
    expect(half.dtype).to.equal('float16');
    expect(full.dtype).to.equal('float32');
    expect(half.parameters).to.equal(full.parameters).and.be.greaterThan(4e6);
    expect(half.weightsBytes).to.equal(statSync(join(bundled, 'weights.bin')).size);
    expect(full.weightsBytes).to.equal(2 * half.weightsBytes);
    expect(half.runs.map((r) => r.beam)).to.deep.equal([5, 1]);
    for (const model of [half, full]) {
      expect(model.sentences).to.equal(6);
      expect(model.peakRssMb).to.be.greaterThan(50);
      for (const run of model.runs) expect(run.sentencesPerSecond).to.be.greaterThan(0);
    }
    // float16 widens to float32 exactly, so both folders translate alike.
    expect(full.runs.map((r) => r.bleu)).to.deep.equal(half.runs.map((r) => r.bleu));

    const evaluated = await runCli(['eval', '--src', src, '--ref', ref, '--beam', '5', '--json']);
    expect(evaluated.code, evaluated.stderr).to.equal(0);
    const scores = JSON.parse(evaluated.stdout) as { bleu: number; chrf: number };
    expect(half.runs[0].bleu).to.equal(scores.bleu);
    expect(half.runs[0].chrf).to.equal(scores.chrf);

    const table = await runCli(['compare-models', 'default', '--src', src, '--ref', ref, '--beams', '1']);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.match(/^model +params +weights +dtype +beam +BLEU +chrF2 +sent\/s +peak RSS\n/);
    expect(table.stdout).to.match(/ 4\.32 M +8\.25 MiB +float16 +1 \(greedy\) /);
  });

  it('names a model folder that does not exist, as loading it would', async () => {
    const result = await runCli(['compare-models', join(dir(), 'nope'), '--src', src, '--ref', ref]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(
      /checkpoint folder .*nope does not exist\n {2}hint: pass a checkpoint folder/,
    );
  });
});
