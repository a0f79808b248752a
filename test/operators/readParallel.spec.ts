import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { SubflowError } from '../../errors.js';
import { FlowGate } from '../../flowGate.js';
import { readParallel } from '../../operators/readParallel.js';
import { useTempDir } from '../helpers/tempDir.js';

describe('readParallel', () => {
  const dir = useTempDir();
  const write = (name: string, content: string | Buffer) => {
    const path = join(dir(), name);
    writeFileSync(path, content);
    return path;
  };
  const expectError = async (promise: Promise<unknown>): Promise<SubflowError> => {
    try {
      await promise;
    } catch (error) {
      expect(error).to.be.instanceOf(SubflowError);
      return error as SubflowError;
    }
    throw new Error('expected a SubflowError');
  };

  it('pairs line-aligned files with their origin, removing BOM and CRLF', async () => {
    const source = write('a.es', '\uFEFFhola\r\nadiós\n');
    const target = write('a.en', 'hello\nbye\n');
    const pairs = await lastValueFrom(readParallel({ source, target }).pipe(toArray()));
    expect(pairs).to.deep.equal([
      { src: 'hola', tgt: 'hello', origin: { file: source, line: 1 } },
      { src: 'adiós', tgt: 'bye', origin: { file: source, line: 2 } },
    ]);
  });

  it('reads gzip files and TSV', async () => {
    const source = write('b.es.gz', gzipSync('uno\ndos\n'));
    const target = write('b.en.gz', gzipSync('one\ntwo\n'));
    const tsv = write('c.tsv', 'uno\tone\ndos\ttwo\n');
    const fromFiles = await lastValueFrom(readParallel({ source, target }).pipe(toArray()));
    const fromTsv = await lastValueFrom(readParallel({ tsv }).pipe(toArray()));
    expect(fromFiles.map((p) => [p.src, p.tgt])).to.deep.equal([
      ['uno', 'one'],
      ['dos', 'two'],
    ]);
    expect(fromTsv.map((p) => [p.src, p.tgt])).to.deep.equal(fromFiles.map((p) => [p.src, p.tgt]));
  });

  it('names both files and the first unmatched line when line counts differ', async () => {
    const source = write('m.es', 'a\nb\nc\n');
    const target = write('m.en', 'a\nb\n');
    const error = await expectError(lastValueFrom(readParallel({ source, target })));
    expect(error.code).to.equal('CORPUS_MISALIGNED');
    expect(error.message).to.include(source).and.include(target).and.include('line 3');
    expect(error.line).to.equal(3);
  });

  it('refuses an empty corpus, a missing file, invalid UTF-8 and a TSV line without a tab', async () => {
    const empty = write('e.es', '');
    const emptyEn = write('e.en', '');
    expect(
      (await expectError(lastValueFrom(readParallel({ source: empty, target: emptyEn })))).code,
    ).to.equal('CORPUS_EMPTY');
    const missing = await expectError(
      lastValueFrom(readParallel({ source: join(dir(), 'nope'), target: emptyEn })),
    );
    expect(missing.code).to.equal('FILE_NOT_FOUND');
    expect(missing.message).to.include('nope');
    const bad = write(
      'bad.es',
      Buffer.concat([Buffer.from('ok\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from('\n')]),
    );
    const badEn = write('bad.en', 'ok\ncafe\n');
    const utf8 = await expectError(lastValueFrom(readParallel({ source: bad, target: badEn })));
    expect(utf8.code).to.equal('INVALID_UTF8');
    expect(utf8.message).to.include(`${bad}:2`);
    const tsv = write('bad.tsv', 'a\tb\nno tab here\n');
    const tab = await expectError(lastValueFrom(readParallel({ tsv })));
    expect(tab.code).to.equal('CORPUS_BAD_LINE');
    expect(tab.line).to.equal(2);
  });

  it('is cold and stops reading when unsubscribed', async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i}`).join('\n');
    const source = write('big.es', lines);
    const target = write('big.en', lines);
    const corpus = readParallel({ source, target });
    const first = await firstValueFrom(corpus);
    const firstThree = await lastValueFrom(corpus.pipe(take(3), toArray()));
    expect(first.src).to.equal('line 0');
    expect(firstThree.map((p) => p.origin.line)).to.deep.equal([1, 2, 3]);
  });

  it('stops reading while its FlowGate is closed and goes on when it opens', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `l${i}`).join('\n');
    const source = write('gated.es', lines);
    const target = write('gated.en', lines);
    const gate = new FlowGate();
    let received = 0;
    const done = new Promise<void>((resolve, reject) =>
      readParallel({ source, target, gate }).subscribe({
        next: () => {
          received += 1;
          if (received === 10) gate.close();
        },
        error: reject,
        complete: resolve,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).to.equal(10);
    gate.open();
    await done;
    expect(received).to.equal(1000);
  });
});
