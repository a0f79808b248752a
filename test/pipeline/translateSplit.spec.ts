import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_MODEL } from '../helpers/bibleVerses.js';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';

// One verse of the Bible test split as two cues, cut at its clause comma; the bundled model
// translates it "He who has ears to hear, let him hear.", so the English comma ends word 6.
const SRT = `1
00:00:01,000 --> 00:00:02,900
El que tiene oídos para oir,

2
00:00:03,100 --> 00:00:04,300
oiga.
`;

describe('subflow translate --split', function () {
  this.timeout(120_000);
  const dir = useTempDir('subflow-split-');

  async function firstCue(...flags: string[]): Promise<string> {
    const input = join(dir(), 'verse.srt');
    writeFileSync(input, SRT);
    const out = join(dir(), `out${flags.join('')}.srt`);
    const result = await runCli(['translate', '-q', '--model', BUNDLED_MODEL, input, '--out', out, ...flags]);
    expect(result.code, result.stderr).to.equal(0);
    return readFileSync(out, 'utf8').split('\n')[2];
  }

  it('splits at the words the attention aligns with the cue boundary, by default', async () => {
    expect(await firstCue('--split', 'attention')).to.equal('He who has ears to hear,');
    expect(await firstCue()).to.equal('He who has ears to hear,');
  });

  it('splits by length with --split proportional', async () => {
    expect(await firstCue('--split', 'proportional')).to.not.equal('He who has ears to hear,');
  });

  it('refuses an unknown method', async () => {
    const result = await runCli(['translate', '--split', 'middle', 'x.srt']);
    expect(result.code).to.not.equal(0);
    expect(result.stderr).to.match(/proportional, attention/);
  });
});
