import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { z } from 'zod';
import { SubflowError } from '../../errors.js';
import { resolveBackend, type BackendName } from '../../model/backend.js';
import { REF_SMALL } from '../../model/config.js';
import { Seq2Seq } from '../../model/seq2seq.js';
import { trainEpochs } from '../../operators/train.js';
import type { TrainEvent } from '../../types.js';
import { evaluateModel } from '../../jobs/evaluateModel.js';
import type { TranslationModel } from '../../model/translationModel.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import type { PipelineContext } from '../context.js';
import { createTrainProgress } from '../progress.js';
import { registerStage } from '../registry.js';

const modelOptions = z.strictObject({
  srcVocab: z.number().int().positive().optional(),
  tgtVocab: z.number().int().positive().optional(),
  embedding: z.number().int().positive().default(REF_SMALL.embedding),
  encoderUnits: z.number().int().positive().default(REF_SMALL.encoderUnits),
  decoderUnits: z.number().int().positive().default(REF_SMALL.decoderUnits),
  attentionalUnits: z.number().int().positive().optional(),
  attention: z.enum(['luong-general', 'bahdanau']).default('luong-general'),
  encoderLayers: z.number().int().positive().default(1),
  decoderLayers: z.number().int().positive().default(1),
  inputFeeding: z.boolean().default(false),
  dropout: z.number().min(0).lt(1).default(0.2),
  labelSmoothing: z.number().min(0).lt(1).default(0.1),
});

const schedule = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant') }),
  z.strictObject({ kind: z.literal('inverse-sqrt'), warmupSteps: z.number().int().positive() }),
  z.strictObject({
    kind: z.literal('plateau'),
    factor: z.number().gt(0).lt(1).optional(),
    patience: z.number().int().nonnegative().optional(),
    minLearningRate: z.number().nonnegative().optional(),
    threshold: z.number().nonnegative().optional(),
  }),
]);

export const trainStageOptions = z.strictObject({
  model: modelOptions.default(modelOptions.parse({})),
  learningRate: z.number().positive().default(1e-3),
  clipNorm: z.number().nonnegative().default(5),
  schedule: schedule.default({ kind: 'constant' }),
  maxSteps: z.number().int().positive().optional(),
  maxEpochs: z.number().int().positive().optional(),
  maxMinutes: z.number().positive().optional(),
  validateEvery: z.number().int().positive().default(1000),
  bleuSentences: z.number().int().nonnegative().default(200),
  earlyStopping: z
    .strictObject({
      metric: z.enum(['loss', 'bleu', 'chrf']).default('loss'),
      patience: z.number().int().positive(),
      minDelta: z.number().nonnegative().optional(),
    })
    .optional(),
  checkpointEvery: z.number().int().positive().default(1000),
  keepLast: z.number().int().nonnegative().default(3),
  weightsDtype: z.enum(['float32', 'float16']).default('float32'),
  resume: z.boolean().default(true),
});

registerStage({
  name: 'train',
  summary: 'train the seq2seq model on the batches; checkpoints in <workDir>/checkpoints/{last,best,step-N}',
  options: trainStageOptions,
  needs: ['batches', 'tokenizers'],
  provides: ['modelDir'],
  async run(context, options) {
    const { source, target } = context.tokenizers!;
    const config = {
      ...options.model,
      attentionalUnits: options.model.attentionalUnits ?? options.model.decoderUnits,
      srcVocab: source.vocabSize,
      tgtVocab: target.vocabSize,
    };
    for (const [key, tokenizer] of [
      ['srcVocab', source],
      ['tgtVocab', target],
    ] as const) {
      const configured = options.model[key];
      if (configured !== undefined && configured !== tokenizer.vocabSize) {
        throw new SubflowError(
          'CONFIG_INVALID',
          `train.model.${key} is ${configured} but the tokenizer ${tokenizer.modelPath} has ${tokenizer.vocabSize} pieces`,
          {
            key: `train.model.${key}`,
            hint: `remove model.${key} (it is taken from the tokenizer) or retrain the tokenizer`,
          },
        );
      }
    }
    const backend = await resolveBackend(context.backend as BackendName);
    context.log(backend.reason);

    const checkpointDir = join(context.workDir, 'checkpoints');
    const last = join(checkpointDir, 'last');
    const resume = options.resume && existsSync(join(last, 'trainer.json')) ? last : undefined;
    if (resume) context.log(`train: resuming from ${resume}`);
    const devBatches = context.batches!.dev
      ? await lastValueFrom(context.batches!.dev().pipe(toArray()))
      : undefined;
    const model = new Seq2Seq(config, { seed: context.seed });
    const evaluate = await devScorer(context, options.bleuSentences, source, target, backend);
    context.log(`train: ${model.countParameters().toLocaleString('en-US')} parameters`);

    const progress = createTrainProgress(context, options.maxSteps);
    let done: TrainEvent | undefined;
    try {
      await lastValueFrom(
        trainEpochs(model, (epoch) => context.batches!.train(epoch), {
          learningRate: options.learningRate,
          clipNorm: options.clipNorm,
          schedule: options.schedule,
          seed: context.seed,
          maxSteps: options.maxSteps,
          maxEpochs: options.maxEpochs,
          maxMinutes: options.maxMinutes,
          validateEvery: devBatches ? options.validateEvery : undefined,
          devBatches,
          evaluate,
          earlyStopping: options.earlyStopping,
          checkpoint: {
            dir: checkpointDir,
            every: options.checkpointEvery,
            keepLast: options.keepLast,
            tokenizers: { source: source.modelPath, target: target.modelPath },
            weightsDtype: options.weightsDtype,
            data: context.results.pipeline ? String(context.results.pipeline) : undefined,
          },
          resume,
          signal: context.signal,
          gate: context.trainGate,
        }).pipe(
          tap((event) => {
            progress.update(event);
            context.onTrainEvent?.(event);
            if (event.kind === 'done') done = event;
          }),
        ),
      );
    } finally {
      progress.stop();
      model.dispose();
    }
    const best = join(checkpointDir, 'best');
    context.modelDir = existsSync(join(best, 'model.json')) ? best : last;
    context.results.train = {
      steps: done?.step,
      epochs: done?.epoch,
      reason: done?.reason,
      bestScore: done?.bestScore,
      checkpoint: context.modelDir,
      backend: backend.backend,
    };
    if (done?.reason === 'interrupted') {
      throw new SubflowError(
        'INTERRUPTED',
        `training interrupted at step ${done.step}; ${last} is a consistent checkpoint`,
        {
          hint: 'run the same command again to resume from it',
        },
      );
    }
  },
});

registerStage({
  name: 'loadModel',
  summary: 'use an existing checkpoint folder for the stages after it (e.g. evaluate)',
  options: z.strictObject({ path: z.string().min(1) }),
  needs: [],
  provides: ['modelDir'],
  async run(context, options) {
    context.modelDir = resolve(context.configDir, options.path);
  },
});

/**
 * Greedy BLEU and chrF2 on the first `count` dev sentences, for validation: loss alone says little
 * about translation quality, and early stopping on BLEU needs it. Undefined when there is no dev set.
 */
async function devScorer(
  context: PipelineContext,
  count: number,
  sourceTokenizer: Tokenizer,
  targetTokenizer: Tokenizer,
  backend: { backend: string; reason: string },
): Promise<((model: Seq2Seq) => Promise<{ bleu: number; chrf: number }>) | undefined> {
  const dev = context.pairs?.dev;
  if (!dev || count === 0) return undefined;
  const pairs = await lastValueFrom(dev().pipe(take(count), toArray()));
  const sources = pairs.map((pair) => pair.src);
  const references = pairs.map((pair) => pair.tgt);
  return async (model) => {
    const translationModel: TranslationModel = {
      model,
      sourceTokenizer,
      targetTokenizer,
      dir: context.workDir,
      backend: { name: backend.backend, reason: backend.reason },
      dispose: () => undefined, // the training run owns the model
    };
    const { bleu, chrf } = await evaluateModel(translationModel, sources, references, { beam: 1 });
    return { bleu, chrf };
  };
}
