import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveBackend } from '../../model/backend.js';
import { saveCheckpoint } from '../../model/checkpoint.js';
import { resolveModelConfig } from '../../model/config.js';
import { Seq2Seq } from '../../model/seq2seq.js';
import { padBatch } from '../../operators/bucketBatch.js';
import { withEos } from '../../types.js';
import { SeededRandom } from '../../random.js';
import { trainSentencePiece } from '../../text/sentencepieceTrainer.js';
import { Tokenizer } from '../../text/tokenizer.js';

const SPANISH = ['uno', 'dos', 'tres', 'cuatro', 'cinco', 'seis', 'siete', 'ocho', 'nueve', 'diez'];
const ENGLISH = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** A synthetic task: Spanish number words → the English words in reverse order. */
export function numberPair(rng: SeededRandom, maxWords = 4): { src: string; tgt: string } {
  const words = Array.from({ length: 1 + rng.int(maxWords) }, () => rng.int(SPANISH.length));
  return {
    src: words.map((w) => SPANISH[w]).join(' '),
    tgt: words
      .map((w) => ENGLISH[w])
      .reverse()
      .join(' '),
  };
}

/** The reference translation of a Spanish number sentence. */
export function reverseTranslation(source: string): string {
  return source
    .split(' ')
    .map((word) => ENGLISH[SPANISH.indexOf(word)])
    .reverse()
    .join(' ');
}

/** Adam steps: enough for mostly right translations, few enough for a loaded 2-core machine. */
const TRAIN_STEPS = 200;

let cached: Promise<string> | undefined;
let cachedRoot: string | undefined;

/**
 * The folder of a small trained checkpoint (tiny network, tokenizers trained with spm_train on the
 * synthetic task, a few hundred Adam steps on the wasm backend), built once per test run.
 */
export function tinyCheckpoint(): Promise<string> {
  cached ??= build();
  return cached;
}

/** Removes the cached checkpoint (call from a root-level after hook or at exit). */
export function removeTinyCheckpoint(): void {
  if (cachedRoot) rmSync(cachedRoot, { recursive: true, force: true });
}

async function build(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'subflow-tiny-model-'));
  cachedRoot = root;
  process.once('exit', removeTinyCheckpoint);
  const rng = new SeededRandom(11);
  const pairs = Array.from({ length: 600 }, () => numberPair(rng));
  const [sourcePath, targetPath] = await Promise.all(
    (['src', 'tgt'] as const).map((side) =>
      trainSentencePiece({
        sentences: pairs.map((p) => p[side]),
        modelPrefix: join(root, side === 'src' ? 'source' : 'target'),
        vocabSize: 24,
        characterCoverage: 1,
        numThreads: 1,
      }),
    ),
  );
  const [source, target] = await Promise.all([Tokenizer.load(sourcePath), Tokenizer.load(targetPath)]);
  const encoded = pairs.map((p, line) => ({
    src: withEos(source.encode(p.src)),
    tgt: withEos(target.encode(p.tgt)),
    origin: { file: 'synthetic', line },
  }));
  await resolveBackend('wasm');
  const model = new Seq2Seq(
    resolveModelConfig({
      srcVocab: source.vocabSize,
      tgtVocab: target.vocabSize,
      embedding: 32,
      encoderUnits: 32,
      decoderUnits: 64,
      attentionalUnits: 64,
      dropout: 0,
      labelSmoothing: 0,
    }),
    { seed: 3 },
  );
  const optimizer = tf.train.adam(0.01);
  const variables = [...model.variables.values()];
  for (let step = 0; step < TRAIN_STEPS; step++) {
    const start = (step * 32) % (encoded.length - 32);
    const batch = padBatch(encoded.slice(start, start + 32));
    tf.tidy(() => {
      optimizer.minimize(() => model.loss(batch, { training: true }), false, variables);
    });
  }
  optimizer.dispose();
  const dir = join(root, 'model');
  saveCheckpoint(dir, model, {
    tokenizers: { source: sourcePath, target: targetPath },
    training: { step: TRAIN_STEPS, epoch: 1, data: 'synthetic reversed numbers' },
  });
  model.dispose();
  return dir;
}
