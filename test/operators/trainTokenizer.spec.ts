import { expect } from 'chai';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EMPTY, lastValueFrom, of, Subject, toArray } from 'rxjs';
import {
  bucketBatch,
  cleanPairs,
  readParallel,
  tokenize,
  trainTokenizer,
  EOS_ID,
  type SentencePair,
} from 'subflow';
import { rejection } from '../helpers/rejection.js';
import { useTempDir } from '../helpers/tempDir.js';

const hola: SentencePair = { src: 'hola', tgt: 'hello', origin: { file: 'c.tsv', line: 1 } };

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

  it("gives the smaller side's vocabSize limit and names the side, whichever spm_train fails first", async () => {
    // A stand-in for spm_train: the source side fails at once with the larger limit, the target later.
    const fake = join(dir(), 'fake-spm_train');
    writeFileSync(
      fake,
      [
        '#!/bin/sh',
        'case "$*" in',
        '  *source.txt*) echo "Vocabulary size too high (5000). Please set it to a value <= 802." >&2 ;;',
        '  *) sleep 0.5; echo "Vocabulary size too high (5000). Please set it to a value <= 719." >&2 ;;',
        'esac',
        'exit 1',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const error = await rejection(
      lastValueFrom(
        of(hola).pipe(trainTokenizer({ outDir: join(dir(), 'fake'), vocabSize: 5000, spmTrain: fake })),
      ),
    );
    expect(error.code).to.equal('TOOL_FAILED');
    expect(error.key).to.equal('vocabSize');
    expect(error.message).to.equal(
      'vocabSize 5000 is too large for this training text: the target side supports up to 719 pieces, the source side up to 802',
    );
    expect(error.hint).to.equal(
      "set vocabSize to 719 or less (the target side's limit), or train on more text",
    );
  });

  it('names the limiting side on a real corpus too', async () => {
    const corpus = readParallel({ source: join(toy, 'train.es'), target: join(toy, 'train.en') });
    const error = await rejection(
      lastValueFrom(
        corpus.pipe(trainTokenizer({ outDir: join(dir(), 'big'), vocabSize: 5000, numThreads: 1 })),
      ),
    );
    const sides =
      /the (source|target) side supports up to (\d+) pieces, the (source|target) side up to (\d+)$/.exec(
        error.message,
      );
    expect(sides, error.message).to.not.equal(null);
    const [, limiting, limit, other, otherLimit] = sides!;
    expect(new Set([limiting, other])).to.deep.equal(new Set(['source', 'target']));
    expect(Number(limit)).to.be.below(Number(otherLimit));
    expect(error.hint).to.equal(
      `set vocabSize to ${limit} or less (the ${limiting} side's limit), or train on more text`,
    );
  });

  it('refuses to train on no text before spm_train runs', async () => {
    const none = await rejection(
      lastValueFrom(
        EMPTY.pipe(trainTokenizer({ outDir: join(dir(), 'none'), vocabSize: 100, spmTrain: 'false' })),
      ),
    );
    expect(none.code).to.equal('CORPUS_EMPTY');
    expect(none.message).to.equal('trainTokenizer received no sentence pairs to train on');
    const blank = { src: 'hola', tgt: ' ', origin: { file: 'c.tsv', line: 1 } };
    const noTarget = await rejection(
      lastValueFrom(
        of(blank).pipe(trainTokenizer({ outDir: join(dir(), 'blank'), vocabSize: 100, spmTrain: 'false' })),
      ),
    );
    expect(noTarget.code).to.equal('CORPUS_EMPTY');
    expect(noTarget.message).to.equal(
      'trainTokenizer received 1 sentence pair, but every target side is empty',
    );
  });
});
