import { expect } from 'chai';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_MODEL, shortVerses } from '../helpers/bibleVerses.js';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';

describe('attention output: translate-text --alignment, eval --attention-plots', function () {
  this.timeout(300_000);
  const dir = useTempDir('subflow-attention-');
  let verses: { es: string[]; en: string[] };

  before(async () => {
    verses = await shortVerses(6, 14);
  });

  it('--alignment aligns every output word to a source word, indices in range', async () => {
    const input = join(dir(), 'in.es');
    writeFileSync(input, `${verses.es.join('\n')}\n`);
    const result = await runCli([
      'translate-text',
      '--model',
      BUNDLED_MODEL,
      '--input',
      input,
      '--alignment',
    ]);
    expect(result.code, result.stderr).to.equal(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).to.have.length(verses.es.length);
    lines.forEach((line, i) => {
      const [text, alignment] = line.split(' ||| ');
      expect(alignment, line).to.match(/^\d+-\d+( \d+-\d+)*$/);
      const sourceWords = verses.es[i].trim().split(/\s+/).length;
      const targetWords = text.trim().split(/\s+/).length;
      const links = alignment.split(' ').map((link) => link.split('-').map(Number));
      for (const [s, t] of links) {
        expect(s).to.be.within(0, sourceWords - 1);
        expect(t).to.be.within(0, targetWords - 1);
      }
      expect(links.map(([, t]) => t)).to.deep.equal([...Array(targetWords).keys()]);
    });
    // A verse and its translation start alike here ("Y dijo …" → "… said …"): the links are not all one word.
    expect(
      new Set(
        lines.flatMap((line) =>
          line
            .split(' ||| ')[1]
            .split(' ')
            .map((l) => l.split('-')[0]),
        ),
      ).size,
    ).to.be.above(3);
  });

  it('--alignment refuses --n-best', async () => {
    const result = await runCli(['translate-text', '--model', BUNDLED_MODEL, '--alignment', '--n-best', '2']);
    expect(result.code).to.not.equal(0);
    expect(result.stderr).to.match(/--alignment cannot be combined with --n-best/);
  });

  it('eval --attention-plots writes one labelled SVG heatmap per sentence', async () => {
    const src = join(dir(), 'test.es');
    const ref = join(dir(), 'test.en');
    writeFileSync(src, `${verses.es.join('\n')}\n`);
    writeFileSync(ref, `${verses.en.join('\n')}\n`);
    const plots = join(dir(), 'plots');
    const result = await runCli([
      'eval',
      '--model',
      BUNDLED_MODEL,
      '--src',
      src,
      '--ref',
      ref,
      '--attention-plots',
      plots,
      '--sentences',
      '3',
    ]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^BLEU\|/);
    expect(readdirSync(plots).sort()).to.deep.equal([
      'sentence-001.svg',
      'sentence-002.svg',
      'sentence-003.svg',
    ]);
    const svg = readFileSync(join(plots, 'sentence-001.svg'), 'utf8');
    expect(svg).to.match(/^<svg /);
    const firstWord = verses.es[0].split(' ')[0];
    expect(svg).to.include(`>·${firstWord}</text>`);
    expect(svg).to.include('source pieces');
  });
});
