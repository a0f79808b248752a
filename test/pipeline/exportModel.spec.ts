import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../model/translationModel.js';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';
import { tinyCheckpoint } from '../operators/tinyCheckpoint.js';

const bundled = fileURLToPath(new URL('../../models/bible-es-en', import.meta.url));

const languagesOf = (dir: string): unknown =>
  (JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { languages?: unknown }).languages;

describe('subflow export-model', function () {
  this.timeout(300_000);
  const dir = useTempDir('subflow-export-');
  let model = '';
  before(async () => {
    model = await tinyCheckpoint();
  });

  it('adds the language pair to an older folder (639-1 or 639-2 in, 639-1 stored) and keeps it on re-export', async () => {
    expect(languagesOf(model)).to.equal(undefined);
    const out = join(dir(), 'with-pair');
    const result = await runCli(['export-model', model, out, '--source-lang', 'spa', '--target-lang', 'en']);
    expect(result.code, result.stderr).to.equal(0);
    expect(languagesOf(out)).to.deep.equal({ source: 'es', target: 'en' });
    const loaded = await loadModel(out, { backend: 'current' });
    expect(loaded.languages).to.deep.equal({ source: 'es', target: 'en' });
    loaded.dispose();

    const again = join(dir(), 'again');
    expect((await runCli(['export-model', out, again])).code).to.equal(0);
    expect(languagesOf(again)).to.deep.equal({ source: 'es', target: 'en' });
  });

  it('refuses a code that is no language, or only one side of the pair', async () => {
    const bad = await runCli([
      'export-model',
      model,
      join(dir(), 'bad'),
      '--source-lang',
      'xx',
      '--target-lang',
      'en',
    ]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/"xx" is not an ISO 639 language code/);
    const half = await runCli(['export-model', model, join(dir(), 'half'), '--source-lang', 'es']);
    expect(half.code).to.equal(1);
    expect(half.stderr).to.match(/--source-lang and --target-lang go together/);
  });

  it('refuses --calibration without --dtype int8, and a calibration file without sentences', async () => {
    const text = join(dir(), 'calibration.txt');
    writeFileSync(text, 'Y dijo Dios: Sea la luz.\n');
    const float16 = await runCli(['export-model', model, join(dir(), 'f16'), '--calibration', text]);
    expect(float16.code).to.equal(1);
    expect(float16.stderr).to.match(/--calibration only applies to --dtype int8/);
    const empty = join(dir(), 'empty.txt');
    writeFileSync(empty, '\n\n');
    const args = ['--dtype', 'int8', '--calibration', empty];
    const none = await runCli(['export-model', bundled, join(dir(), 'none'), ...args]);
    expect(none.code).to.equal(1);
    expect(none.stderr).to.match(/empty\.txt has no sentences to calibrate on/);
    expect(none.stderr).to.not.include('internal error');
  });

  it('says when a file stands where the output folder must be, before reading the checkpoint', async () => {
    const afile = join(dir(), 'afile');
    writeFileSync(afile, 'x');
    for (const to of [join(afile, 'model'), afile]) {
      const result = await runCli(['export-model', bundled, to]);
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stderr).to.include(`${afile} is a file, not a folder`);
      expect(result.stderr).to.not.include('internal error');
    }
    expect(readFileSync(afile, 'utf8')).to.equal('x');
  });
});
