import { expect } from 'chai';
import { parseImp } from '../../../corpora/bible-es-en/swordModule.js';

describe('corpora/bible-es-en parseImp', () => {
  it('reads verses in order and skips headings and introductions', () => {
    const imp = [
      '$$$[ Module Heading ]',
      '',
      '$$$Genesis 0:0',
      '<div type="book"/>',
      '$$$Genesis 1:0',
      '<chapter n="1"/>',
      '$$$Genesis 1:1',
      '<w>EN el principio</w> crió',
      '$$$Genesis 1:2',
      '',
      '$$$I Samuel 24:3',
      'two',
      'lines',
    ].join('\n');
    expect(parseImp(imp)).to.deep.equal([
      { book: 'Genesis', chapter: 1, verse: 1, markup: '<w>EN el principio</w> crió' },
      { book: 'Genesis', chapter: 1, verse: 2, markup: '' },
      { book: 'I Samuel', chapter: 24, verse: 3, markup: 'two\nlines' },
    ]);
  });
});
