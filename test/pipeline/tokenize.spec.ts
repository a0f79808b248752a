import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';

const sourceModel = fileURLToPath(new URL('../../models/bible-es-en/source.model', import.meta.url));

describe('subflow tokenize', () => {
  const dir = useTempDir();

  it('reads lines as every command does: one output line per LF, bad UTF-8 said with its line', async () => {
    const input = join(dir(), 'in.es');
    writeFileSync(
      input,
      Buffer.concat([Buffer.from('hola mundo\r\nuno\rdos\n'), Buffer.from([0x63, 0x61, 0xe9, 0x0a])]),
    );
    const result = await runCli(['tokenize', '-m', sourceModel, input, '/dev/null']);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout.split('\n')).to.have.length(4); // 3 lines and the final newline
    expect(result.stderr).to.equal(
      `tokenize: ${input}:3: not valid UTF-8; the bad bytes were replaced by U+FFFD\n`,
    );
  });
});
