import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSubflowError } from '../../errors.js';
import { BOS_ID, EOS_ID, PAD_ID, UNK_ID } from '../../types.js';
import { trainSentencePiece } from '../../text/sentencepieceTrainer.js';
import { Tokenizer } from '../../text/tokenizer.js';
import { spanishSentences, tempFolder, writeLines } from './tinyCorpus.js';

async function loadError(modelPath: string): Promise<unknown> {
  try {
    await Tokenizer.load(modelPath);
  } catch (error) {
    return error;
  }
  throw new Error(`loading ${modelPath} should have failed`);
}

describe('text/tokenizer', function () {
  this.timeout(30_000);
  let folder: Awaited<ReturnType<typeof tempFolder>>;
  let corpus: string;
  let sourceModel: string;
  let targetModel: string;
  let tokenizer: Tokenizer;

  before(async () => {
    folder = await tempFolder();
    corpus = await writeLines(folder.dir, 'train.es', spanishSentences(400));
    const common = { inputFiles: [corpus], characterCoverage: 1, numThreads: 1 };
    [sourceModel, targetModel] = await Promise.all([
      trainSentencePiece({ ...common, modelPrefix: join(folder.dir, 'source'), vocabSize: 120 }),
      trainSentencePiece({
        ...common,
        modelPrefix: join(folder.dir, 'target'),
        vocabSize: 90,
        modelType: 'bpe',
      }),
    ]);
    tokenizer = await Tokenizer.load(sourceModel);
  });
  after(() => folder.remove());

  it('has the fixed special ids and the trained vocabulary size', () => {
    expect(tokenizer.vocabSize).to.equal(120);
    expect(tokenizer.modelPath).to.equal(sourceModel);
    expect([PAD_ID, BOS_ID, EOS_ID, UNK_ID].map((id) => tokenizer.idToPiece(id))).to.deep.equal([
      '<pad>',
      '<s>',
      '</s>',
      '<unk>',
    ]);
    expect(tokenizer.pieceToId('</s>')).to.equal(EOS_ID);
    expect(tokenizer.pieceToId('no-such-piece')).to.equal(UNK_ID);
  });

  it('round-trips Spanish accents, ñ, ü, inverted marks and case', () => {
    const sentences = [
      '¿Dónde está el niño? ¡ÉL CANTÓ «la canción»!',
      'Íñigo y Úrsula compró 15 libros (dijo: 3,5 €); Los pingüinos.',
      'ÁNGELA Óscar señora Núñez',
    ];
    for (const sentence of sentences) {
      const ids = tokenizer.encode(sentence);
      expect(ids).to.be.instanceOf(Int32Array);
      expect(Array.from(ids).filter((id) => id <= UNK_ID)).to.deep.equal([]); // no special ids, no UNK
      expect(tokenizer.decode(ids)).to.equal(sentence);
      expect(tokenizer.encodePieces(sentence).join('').replaceAll('▁', ' ').trim()).to.equal(sentence);
    }
  });

  it('decodes a model output row: skips BOS and PAD, stops at EOS', () => {
    const ids = Array.from(tokenizer.encode('Él comió un café.'));
    expect(tokenizer.decode([BOS_ID, ...ids, EOS_ID, PAD_ID, PAD_ID])).to.equal('Él comió un café.');
    expect(tokenizer.decode(Int32Array.from([...ids, EOS_ID, ...ids]))).to.equal('Él comió un café.');
    expect(tokenizer.decode([])).to.equal('');
    expect(tokenizer.decode([EOS_ID])).to.equal('');
  });

  it('encodes exactly like the spm_encode command line', function () {
    if (spawnSync('spm_encode', ['--help']).error) this.skip();
    const sentences = spanishSentences(60).slice(30);
    const expected = execFileSync('spm_encode', [`--model=${sourceModel}`, '--output_format=id'], {
      input: sentences.join('\n') + '\n',
    })
      .toString()
      .trim()
      .split('\n');
    expect(sentences.map((sentence) => Array.from(tokenizer.encode(sentence)).join(' '))).to.deep.equal(
      expected,
    );
  });

  it('keeps source and target tokenizers independent when loaded at once', async () => {
    const [source, target] = await Promise.all([Tokenizer.load(sourceModel), Tokenizer.load(targetModel)]);
    const sentence = 'La señora Núñez leyó la guía.';
    const alone = Array.from(tokenizer.encode(sentence));
    // interleave calls: a shared wasm instance would make one answer with the other's vocabulary
    const fromTarget = Array.from(target.encode(sentence));
    const fromSource = Array.from(source.encode(sentence));
    expect(fromSource).to.deep.equal(alone);
    expect(fromTarget).to.not.deep.equal(alone);
    expect(target.vocabSize).to.equal(90);
    expect(target.decode(target.encode(sentence))).to.equal(sentence);
    expect(source.decode(source.encode(sentence))).to.equal(sentence);
  });

  it('rejects an id outside the vocabulary', () => {
    for (const bad of [120, -1, 2.5]) {
      try {
        tokenizer.decode([5, bad]);
        expect.fail(`decode accepted ${bad}`);
      } catch (error) {
        expect(isSubflowError(error, 'BAD_ARGUMENT')).to.equal(true);
      }
    }
  });

  it('reports FILE_NOT_FOUND for a missing model', async () => {
    const error = await loadError(join(folder.dir, 'missing.model'));
    expect(isSubflowError(error, 'FILE_NOT_FOUND')).to.equal(true);
    expect((error as Error).message).to.contain('missing.model');
  });

  it('reports TOKENIZER_INVALID for a .vocab file or a truncated model', async () => {
    const vocab = await loadError(sourceModel.replace(/\.model$/, '.vocab'));
    expect(isSubflowError(vocab, 'TOKENIZER_INVALID')).to.equal(true);
    const truncated = join(folder.dir, 'truncated.model');
    await writeFile(truncated, (await readFile(sourceModel)).subarray(0, 500));
    const error = await loadError(truncated);
    expect(isSubflowError(error, 'TOKENIZER_INVALID')).to.equal(true);
    expect((error as Error).message).to.contain('truncated.model');
  });

  it('reports TOKENIZER_INVALID naming the retraining flags for a model with other special ids', async () => {
    const prefix = join(folder.dir, 'default-ids');
    execFileSync(
      'spm_train',
      [`--input=${corpus}`, `--model_prefix=${prefix}`, '--vocab_size=100', '--num_threads=1'],
      {
        stdio: 'ignore',
      },
    );
    const error = await loadError(`${prefix}.model`);
    expect(isSubflowError(error, 'TOKENIZER_INVALID')).to.equal(true);
    expect((error as Error).message).to.contain('default-ids.model');
    expect((error as Error).message).to.contain('pad_id=-1 bos_id=1 eos_id=2 unk_id=0');
    expect((error as { hint: string }).hint).to.contain('--pad_id=0 --bos_id=1 --eos_id=2 --unk_id=3');
  });
});
