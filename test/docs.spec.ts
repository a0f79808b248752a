// docs/ and the README stay true to the code: the CLI reference is the commander definitions rendered,
// and every relative link points at a file that exists.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cliReference } from '../scripts/cliReference.js';

const root = join(import.meta.dirname, '..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).map((name) => join('docs', name))];

describe('docs', () => {
  it('docs/cli.md is what `npm run docs:cli` renders from the commands (rerun it after changing a flag)', () => {
    expect(readFileSync(join(root, 'docs', 'cli.md'), 'utf8')).to.equal(cliReference());
  });

  it('every relative link of the README and docs/ points at an existing file', () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(join(root, page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        if (!existsSync(join(root, dirname(page), target))) broken.push(`${page}: ${target}`);
      }
    }
    expect(broken).to.deep.equal([]);
  });

  it('checkpoint folders are named as the docs say: step-NNNNNNN, seven digits', () => {
    const session = readFileSync(join(root, 'model', 'trainerSession.ts'), 'utf8');
    expect(session).to.include("`step-${String(this.step).padStart(7, '0')}`");
    const architecture = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
    expect(architecture).to.include('`step-NNNNNNN` (the step in seven digits, e.g. `step-0001000`');
    for (const page of pages) expect(readFileSync(join(root, page), 'utf8'), page).to.not.match(/step-N\b/);
  });
});
