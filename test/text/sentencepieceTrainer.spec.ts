import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSubflowError } from '../../errors.js';
import { parseSentencePieceModel } from '../../text/sentencepieceModel.js';
import { trainSentencePiece } from '../../text/sentencepieceTrainer.js';
import { Tokenizer } from '../../text/tokenizer.js';
import { UNK_ID } from '../../types.js';
import { spanishSentences, tempFolder, writeLines } from './tinyCorpus.js';
import { rejection } from '../helpers/rejection.js';

describe('text/sentencepieceTrainer', function () {
  this.timeout(30_000);
  let folder: Awaited<ReturnType<typeof tempFolder>>;
  let corpus: string;

  before(async () => {
    folder = await tempFolder();
    corpus = await writeLines(folder.dir, 'train.es', spanishSentences(400));
  });
  after(() => folder.remove());

  it('trains from files with PAD 0, BOS 1, EOS 2, UNK 3 and leaves only the final files', async () => {
    const modelPath = await trainSentencePiece({
      inputFiles: [corpus],
      modelPrefix: join(folder.dir, 'models', 'source'),
      vocabSize: 120,
      characterCoverage: 1,
      numThreads: 1,
    });
    expect(modelPath).to.equal(join(folder.dir, 'models', 'source.model'));
    expect((await readdir(join(folder.dir, 'models'))).sort()).to.deep.equal([
      'source.model',
      'source.vocab',
    ]);
    const model = parseSentencePieceModel(await readFile(modelPath));
    expect(model.pieces.slice(0, 4)).to.deep.equal(['<pad>', '<s>', '</s>', '<unk>']);
    expect([model.padId, model.bosId, model.eosId, model.unkId]).to.deep.equal([0, 1, 2, 3]);
    expect(model.pieces).to.have.length(120);
    expect(model.modelType).to.equal('unigram');
  });

  it('trains BPE from an async iterable of sentences, sampled', async () => {
    async function* sentences(): AsyncGenerator<string> {
      yield* spanishSentences(300);
    }
    const modelPath = await trainSentencePiece({
      sentences: sentences(),
      modelPrefix: join(folder.dir, 'bpe'),
      vocabSize: 100,
      modelType: 'bpe',
      characterCoverage: 1,
      inputSentenceSize: 200,
      seed: 7,
      numThreads: 1,
    });
    const model = parseSentencePieceModel(await readFile(modelPath));
    expect(model.modelType).to.equal('bpe');
    expect(model.pieces).to.have.length(100);
  });

  it('covers every character by default, even one seen once', async () => {
    const modelPath = await trainSentencePiece({
      sentences: [...spanishSentences(400), 'Hiddekel'],
      modelPrefix: join(folder.dir, 'coverage'),
      vocabSize: 120,
      numThreads: 1,
    });
    const tokenizer = await Tokenizer.load(modelPath);
    expect(Array.from(tokenizer.encode('Hiddekel'))).to.not.include(UNK_ID);
    expect(tokenizer.decode(tokenizer.encode('Hiddekel'))).to.equal('Hiddekel');
  });

  it('says which vocabSize fits when the data is too small, and writes nothing', async () => {
    const error = await rejection(
      trainSentencePiece({
        inputFiles: [corpus],
        modelPrefix: join(folder.dir, 'big', 'm'),
        vocabSize: 5000,
      }),
    );
    expect(error.code).to.equal('TOOL_FAILED');
    expect(error.key).to.equal('vocabSize');
    expect(error.message).to.match(/vocabSize 5000 is too large .* up to \d+ pieces/);
    expect(error.hint).to.match(/set vocabSize to \d+ or less/);
    expect(await readdir(join(folder.dir, 'big'))).to.deep.equal([]);
  });

  it('reports TOOL_MISSING naming the setup script when spm_train is not on PATH', async () => {
    const empty = await tempFolder();
    const path = process.env.PATH;
    process.env.PATH = empty.dir;
    try {
      const error = await rejection(
        trainSentencePiece({
          inputFiles: [corpus],
          modelPrefix: join(folder.dir, 'none', 'm'),
          vocabSize: 50,
        }),
      );
      expect(error.code).to.equal('TOOL_MISSING');
      expect(error.hint).to.contain('scripts/setup.sh');
    } finally {
      process.env.PATH = path;
      await empty.remove();
    }
  });

  it('reports TOOL_FAILED with the end of stderr for any other failure', async () => {
    const error = await rejection(
      trainSentencePiece({
        inputFiles: [corpus],
        modelPrefix: join(folder.dir, 'fail', 'm'),
        vocabSize: 50,
        spmTrain: 'false',
      }),
    );
    expect(error.code).to.equal('TOOL_FAILED');
    expect(error.message).to.contain('exited with code 1');
  });

  it('kills spm_train on abort and leaves no files', async () => {
    const controller = new AbortController();
    const big = await writeLines(folder.dir, 'big.es', spanishSentences(20_000));
    const error = await rejection(
      trainSentencePiece({
        inputFiles: [big],
        modelPrefix: join(folder.dir, 'aborted', 'm'),
        vocabSize: 150,
        numThreads: 1,
        signal: controller.signal,
        onLog: () => controller.abort(), // spm_train is running once it logs
      }),
    );
    expect(error.code).to.equal('INTERRUPTED');
    expect(await readdir(join(folder.dir, 'aborted'))).to.deep.equal([]);
  });

  it('rejects a missing input, an empty sentence source and bad options', async () => {
    const missing = await rejection(
      trainSentencePiece({
        inputFiles: [join(folder.dir, 'nope.txt')],
        modelPrefix: join(folder.dir, 'x'),
        vocabSize: 50,
      }),
    );
    expect(missing.code).to.equal('FILE_NOT_FOUND');
    expect(missing.file).to.contain('nope.txt');
    const empty = await rejection(
      trainSentencePiece({ sentences: ['', '  '], modelPrefix: join(folder.dir, 'x'), vocabSize: 50 }),
    );
    expect(empty.code).to.equal('CORPUS_EMPTY');
    const noFiles = await rejection(trainSentencePiece({ inputFiles: [], modelPrefix: 'x', vocabSize: 50 }));
    expect(noFiles.code).to.equal('BAD_ARGUMENT');
    const tiny = await rejection(
      trainSentencePiece({ inputFiles: [corpus], modelPrefix: 'x', vocabSize: 3 }),
    );
    expect(isSubflowError(tiny, 'BAD_ARGUMENT')).to.equal(true);
    const both = await rejection(
      trainSentencePiece({ inputFiles: [corpus], sentences: ['a'], modelPrefix: 'x', vocabSize: 50 }),
    );
    expect(both.code).to.equal('BAD_ARGUMENT');
  });
});
