import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';

const bundled = fileURLToPath(new URL('../../models/bible-es-en', import.meta.url));

describe('subflow export-model', () => {
  const dir = useTempDir();

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
