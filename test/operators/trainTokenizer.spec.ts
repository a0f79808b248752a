import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, Subject, toArray } from 'rxjs';
import {
  bucketBatch,
  cleanPairs,
  readParallel,
  tokenize,
  trainTokenizer,
  EOS_ID,
  type SentencePair,
} from 'subflow';
import { useTempDir } from '../helpers/tempDir.js';

const toy = fileURLToPath(new URL('../../corpora/toy/', import.meta.url));

describe('trainTokenizer + tokenize', () => {
  const dir = useTempDir();

  it('trains both sides on the streamed pairs, cleans up its spool, and tokenizes to ids ending in EOS', async () => {
    const outDir = join(dir(), 'spm');
    const corpus = readParallel({ source: join(toy, 'train.es'), target: join(toy, 'train.en') });
    const { source, target } = await lastValueFrom(
      corpus.pipe(cleanPairs(), trainTokenizer({ outDir, vocabSize: 300, characterCoverage: 1 })),
    );
    expect(readdirSync(outDir).sort()).to.deep.equal([
      'source.model',
      'source.vocab',
      'target.model',
      'target.vocab',
    ]);
    expect(source.vocabSize).to.equal(300);

    let kept = 0;
    const pairs = await lastValueFrom(
      corpus.pipe(
        cleanPairs({ onStats: (stats) => (kept = stats.kept) }),
        tokenize(source, target),
        toArray(),
      ),
    );
    expect(pairs).to.have.length(kept).and.length.above(190);
    for (const pair of pairs) {
      expect(pair.src[pair.src.length - 1]).to.equal(EOS_ID);
      expect(pair.tgt[pair.tgt.length - 1]).to.equal(EOS_ID);
    }
    expect(source.decode(pairs[0].src)).to.equal('En el principio crió Dios los cielos y la tierra.');
  });

  it('removes its spool when unsubscribed before training', () => {
    const outDir = join(dir(), 'aborted');
    const input = new Subject<SentencePair>();
    const subscription = input.pipe(trainTokenizer({ outDir, vocabSize: 100 })).subscribe();
    input.next({ src: 'hola', tgt: 'hello', origin: { file: 'x', line: 1 } });
    expect(readdirSync(outDir).some((name) => name.startsWith('.spool-'))).to.equal(true);
    subscription.unsubscribe();
    expect(readdirSync(outDir)).to.deep.equal([]);
    expect(existsSync(join(outDir, 'source.model'))).to.equal(false);
  });

  // The README's "operators in your own stream" example, verbatim.
  it('README example: tokenize and bucketBatch inside a plain RxJS stream', async () => {
    const { source, target } = await lastValueFrom(
      readParallel({ source: join(toy, 'train.es'), target: join(toy, 'train.en') }).pipe(
        trainTokenizer({ outDir: join(dir(), 'readme'), vocabSize: 300 }),
      ),
    );
    let kept = 0;
    const batches = await lastValueFrom(
      readParallel({ source: join(toy, 'train.es'), target: join(toy, 'train.en') }).pipe(
        cleanPairs({
          maxLength: 100,
          lengthRatio: 2.5,
          dedupe: true,
          onStats: (stats) => (kept = stats.kept),
        }),
        tokenize(source, target),
        bucketBatch({ maxTokens: 2000, poolSize: 100_000, seed: 1 }),
        toArray(),
      ),
    );
    expect(batches.reduce((rows, batch) => rows + batch.size, 0)).to.equal(kept);
    for (const batch of batches)
      expect(batch.size * Math.max(batch.srcMax, batch.tgtMax)).to.be.at.most(2000);
  });
});
