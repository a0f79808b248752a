import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCorpusText, sha256, textLines } from '../../corpora/bible-es-en/corpusFiles.js';
import type { CorpusManifest } from '../../corpora/bible-es-en/manifest.js';

const CORPORA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'corpora');

describe('corpora/toy (the committed toy corpus)', () => {
  const manifest = JSON.parse(readFileSync(join(CORPORA, 'toy', 'manifest.json'), 'utf8')) as CorpusManifest;
  const read = (name: string): string[] => textLines(readCorpusText(join(CORPORA, 'toy', name)));

  it('has 200 train and 20 dev short pairs, plain text, matching its manifest', () => {
    expect(manifest.counts).to.deep.equal({ train: 200, dev: 20 });
    for (const [name, file] of Object.entries(manifest.files)) {
      expect(file.path, name).to.equal(name);
      expect(sha256(readFileSync(join(CORPORA, 'toy', file.path))), name).to.equal(file.sha256);
      expect(read(name).length, name).to.equal(manifest.counts[name.split('.')[0]]);
    }
    for (const line of [...read('train.es'), ...read('train.en'), ...read('dev.es'), ...read('dev.en')]) {
      expect(line.length).to.be.within(1, 60);
    }
  });

  it('takes train pairs from the Bible train split and dev pairs from its dev split', () => {
    const bible = (split: string): Set<string> => {
      const es = textLines(readCorpusText(join(CORPORA, 'bible-es-en', `${split}.es.gz`)));
      const en = textLines(readCorpusText(join(CORPORA, 'bible-es-en', `${split}.en.gz`)));
      return new Set(es.map((line, i) => `${line}\t${en[i]}`));
    };
    for (const split of ['train', 'dev']) {
      const pairs = bible(split);
      const en = read(`${split}.en`);
      const missing = read(`${split}.es`).filter((es, i) => !pairs.has(`${es}\t${en[i]}`));
      expect(missing, split).to.deep.equal([]);
    }
  });
});
