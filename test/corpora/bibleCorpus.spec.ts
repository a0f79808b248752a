import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCorpusText, sha256, textLines } from '../../corpora/bible-es-en/corpusFiles.js';
import type { CorpusManifest } from '../../corpora/bible-es-en/manifest.js';

const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'corpora', 'bible-es-en');
const SPLITS = ['train', 'dev', 'test'] as const;

describe('corpora/bible-es-en (the committed corpus)', () => {
  const manifest = JSON.parse(readFileSync(join(CORPUS_DIR, 'manifest.json'), 'utf8')) as CorpusManifest;
  const texts = new Map<string, string>();
  const lines = new Map<string, string[]>();
  before(() => {
    for (const [name, file] of Object.entries(manifest.files)) {
      const text = readCorpusText(join(CORPUS_DIR, file.path));
      texts.set(name, text);
      lines.set(name, textLines(text));
    }
  });
  const linesOf = (name: string): string[] => lines.get(name) ?? [];

  it('has files whose text matches the manifest: sha256, bytes, lines', () => {
    expect(Object.keys(manifest.files).sort()).to.deep.equal(
      SPLITS.flatMap((split) => [`${split}.en`, `${split}.es`, `${split}.ref`]).sort(),
    );
    for (const [name, file] of Object.entries(manifest.files)) {
      const text = texts.get(name) ?? '';
      expect(sha256(text), name).to.equal(file.sha256);
      expect(Buffer.byteLength(text), name).to.equal(file.bytes);
      expect(linesOf(name).length, name).to.equal(file.lines);
      expect(text.endsWith('\n'), `${name} ends with a newline`).to.equal(true);
    }
  });

  it('has line-aligned splits with the manifest counts (dev and test 1000 each)', () => {
    expect(manifest.counts.dev).to.equal(1000);
    expect(manifest.counts.test).to.equal(1000);
    expect(manifest.counts.train).to.be.greaterThan(25_000);
    for (const split of SPLITS) {
      for (const side of ['es', 'en', 'ref']) {
        expect(linesOf(`${split}.${side}`).length, `${split}.${side}`).to.equal(manifest.counts[split]);
      }
    }
  });

  it('has disjoint splits: no verse reference and no sentence pair in two splits', () => {
    const refs = new Set<string>();
    const pairs = new Set<string>();
    const repeated: string[] = [];
    for (const split of SPLITS) {
      const es = linesOf(`${split}.es`);
      const en = linesOf(`${split}.en`);
      linesOf(`${split}.ref`).forEach((ref, i) => {
        const pair = `${es[i]}\t${en[i]}`;
        if (refs.has(ref) || pairs.has(pair)) repeated.push(`${split} ${ref}`);
        refs.add(ref);
        pairs.add(pair);
      });
    }
    expect(repeated).to.deep.equal([]);
    expect(refs.size).to.equal(manifest.counts.train + manifest.counts.dev + manifest.counts.test);
  });

  it('contains no verse of a dropped chapter, and drops the chapters known to be shifted', () => {
    const dropped = (manifest.dropped?.chapters ?? []).map((c) => c.chapter);
    for (const known of [
      'Numbers 13',
      'Numbers 30',
      'I Samuel 24',
      'Job 39',
      'Job 40',
      'Hosea 12',
      'Jonah 2',
    ]) {
      expect(dropped).to.include(known);
    }
    const droppedSet = new Set(dropped);
    const leaked = SPLITS.flatMap((split) =>
      linesOf(`${split}.ref`).filter((ref) => droppedSet.has(ref.slice(0, ref.lastIndexOf(':')))),
    );
    expect(leaked).to.deep.equal([]);
  });

  it('has clean text: no markup, no empty or padded lines, NFC', () => {
    for (const split of SPLITS) {
      for (const side of ['es', 'en']) {
        const name = `${split}.${side}`;
        const text = texts.get(name) ?? '';
        expect(text, name).to.not.match(/[<>]|&[a-z]+;/);
        expect(text.normalize('NFC') === text, `${name} is NFC`).to.equal(true);
        const bad = linesOf(name).filter((line) => line === '' || line !== line.trim() || /\s{2}/.test(line));
        expect(bad, name).to.deep.equal([]);
      }
    }
  });

  it('opens no Spanish chapter in capitals', () => {
    // The first kept verse of each chapter must not start with an all-caps word (`Y DESPUÉS movió`).
    const firstVerse = new Map<string, { verse: number; es: string }>();
    for (const split of SPLITS) {
      const es = linesOf(`${split}.es`);
      linesOf(`${split}.ref`).forEach((ref, i) => {
        const chapter = ref.slice(0, ref.lastIndexOf(':'));
        const verse = Number(ref.slice(ref.lastIndexOf(':') + 1));
        const seen = firstVerse.get(chapter);
        if (!seen || verse < seen.verse) firstVerse.set(chapter, { verse, es: es[i] });
      });
    }
    expect(firstVerse.get('Genesis 1')?.es).to.match(/^En el principio crió Dios/);
    for (const [chapter, { verse, es }] of firstVerse) {
      if (verse !== 1) continue;
      const opening = es.match(/\p{L}+/gu)?.slice(0, 2) ?? [];
      for (const word of opening) {
        if (word.length > 1) expect(word, `${chapter}:1 ${es}`).to.not.match(/^\p{Lu}+$/u);
      }
    }
  });

  it('pairs Matthew 23:13 and 23:14 by content and cuts the subscriptions of the letters', () => {
    const pairByRef = new Map<string, { es: string; en: string }>();
    for (const split of SPLITS) {
      const es = linesOf(`${split}.es`);
      const en = linesOf(`${split}.en`);
      linesOf(`${split}.ref`).forEach((ref, i) => pairByRef.set(ref, { es: es[i], en: en[i] }));
    }
    expect(pairByRef.get('Matthew 23:13')?.es).to.match(/cerráis el reino/);
    expect(pairByRef.get('Matthew 23:13')?.en).to.match(/shut up the Kingdom/);
    expect(pairByRef.get('Matthew 23:14')?.es).to.match(/casas de las viudas/);
    expect(pairByRef.get('Matthew 23:14')?.en).to.match(/widows’ houses/);
    expect(pairByRef.get('Hebrews 13:25')?.es).to.equal('La gracia sea con todos vosotros. Amén.');
    const subscribed = [...pairByRef].filter(([, { es }]) =>
      /Amén\.\s.*\b(escrita|enviada) de (Roma|Corinto|Filipos|Atenas)/i.test(es),
    );
    expect(subscribed.map(([ref]) => ref)).to.deep.equal([]);
  });

  it('records provenance and licence, and never calls the English text by the trademarked name alone', () => {
    expect(manifest.sources.map((s) => s.package)).to.deep.equal(['sword-text-sparv', 'sword-text-web']);
    for (const source of manifest.sources) {
      expect(source.version).to.match(/^\d/);
      expect(source.licence).to.equal('Public domain');
    }
    expect(manifest.sources[1].title).to.equal('derived from the World English Bible');
    expect(manifest.tools[0].package).to.equal('libsword-utils');
  });
});
