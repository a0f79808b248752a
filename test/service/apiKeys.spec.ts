import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSubflowError } from '../../errors.js';
import { readApiKeys } from '../../service/apiKeys.js';
import { useTempDir } from '../helpers/tempDir.js';

describe('service/apiKeys', () => {
  const temp = useTempDir();
  const file = (text: string) => {
    const path = join(temp(), `keys-${text.length}.txt`);
    writeFileSync(path, text);
    return path;
  };

  it('reads one key per line with an optional rate, skipping comments and blank lines', () => {
    const keys = readApiKeys(file('# team keys\nkey-alpha-001 120\n\nkey-beta-0002  # default rate\n'), 60);
    expect([...keys]).to.deep.equal([
      ['key-alpha-001', 120],
      ['key-beta-0002', 60],
    ]);
  });

  it('names the line of a malformed entry, and refuses an empty file', () => {
    for (const [text, line] of [
      ['key-alpha-001\nshort\n', 2],
      ['key-alpha-001 fast\n', 1],
      ['key-alpha-001 10 extra\n', 1],
    ] as const) {
      try {
        readApiKeys(file(text), 60);
        expect.fail(`accepted ${JSON.stringify(text)}`);
      } catch (error) {
        expect(isSubflowError(error, 'BAD_ARGUMENT')).to.equal(true);
        expect((error as { line: number }).line).to.equal(line);
      }
    }
    expect(() => readApiKeys(file('# nothing\n'), 60)).to.throw('holds no key');
  });
});
