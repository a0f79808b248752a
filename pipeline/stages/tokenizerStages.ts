import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { z } from 'zod';
import { trainTokenizer } from '../../operators/trainTokenizer.js';
import { Tokenizer } from '../../text/tokenizer.js';
import { registerStage } from '../registry.js';

registerStage({
  name: 'trainTokenizer',
  summary: 'train SentencePiece models (source.model, target.model) on the train split with spm_train',
  options: z.strictObject({
    vocabSize: z.number().int().min(8).default(8000),
    modelType: z.enum(['unigram', 'bpe']).default('unigram'),
    characterCoverage: z.number().gt(0).max(1).default(1),
    inputSentenceSize: z.number().int().nonnegative().default(1_000_000),
  }),
  needs: ['pairs'],
  provides: ['tokenizers'],
  async run(context, options) {
    const outDir = join(context.workDir, 'tokenizer');
    const stampFile = join(outDir, 'options.json');
    const stamp = JSON.stringify({ options, data: context.dataFingerprint });
    const started = Date.now();
    // A rerun (e.g. to resume training) must reuse the models the checkpoints were trained with.
    if (readStamp(outDir, stampFile) === stamp) {
      context.log(`trainTokenizer: reusing the models in ${outDir} (trained with the same options)`);
      const [source, target] = await Promise.all(
        ['source', 'target'].map((side) => Tokenizer.load(join(outDir, `${side}.model`))),
      );
      context.tokenizers = { source, target };
    } else {
      context.log(
        `trainTokenizer: training ${options.modelType} models of ${options.vocabSize} pieces in ${outDir}`,
      );
      const stage = context.pairs!.train().pipe(trainTokenizer({ ...options, outDir }));
      context.tokenizers = await lastValueFrom(stage);
      writeFileSync(stampFile, stamp);
    }
    context.results.tokenizer = {
      source: context.tokenizers.source.modelPath,
      target: context.tokenizers.target.modelPath,
      vocabSize: options.vocabSize,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  },
});

registerStage({
  name: 'loadTokenizer',
  summary: 'use existing SentencePiece models instead of training them',
  options: z.strictObject({ source: z.string().min(1), target: z.string().min(1) }),
  needs: [],
  provides: ['tokenizers'],
  inputs: (options) =>
    (['source', 'target'] as const).map((side) => ({ key: [side], path: options[side], kind: 'file' })),
  async run(context, options) {
    const [source, target] = await Promise.all(
      [options.source, options.target].map((file) => Tokenizer.load(resolve(context.configDir, file))),
    );
    context.tokenizers = { source, target };
  },
});

function readStamp(dir: string, file: string): string | undefined {
  const complete = [file, join(dir, 'source.model'), join(dir, 'target.model')].every((path) =>
    existsSync(path),
  );
  return complete ? readFileSync(file, 'utf8') : undefined;
}
