import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { z } from 'zod';
import { SubflowError } from '../../errors.js';
import { resolveBackend, type BackendName } from '../../model/backend.js';
import { ATTENTION_KINDS, REF_SMALL } from '../../model/config.js';
import { TRAINING_DEFAULTS } from '../../model/trainerOptions.js';
import { Seq2Seq } from '../../model/seq2seq.js';
import { trainEpochs } from '../../operators/train.js';
import type { TrainEvent } from '../../types.js';
import { evaluateModel } from '../../jobs/evaluateModel.js';
import type { TranslationModel } from '../../model/translationModel.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import type { PipelineContext } from '../context.js';
import { createTrainProgress } from '../progress.js';
import { registerStage } from '../registry.js';
import { initFromCheckpoint } from './initFromCheckpoint.js';
import { toIso6391 } from '../../subtitles/mediaLanguages.js';
import { translateSentences } from '../../model/translateSentences.js';
import { DEFAULT_LOG_EVERY } from '../../report/metricsLog.js';
import { DEFAULT_REPORT_SENTENCES, TrainReportWriter, resumedStep } from '../../report/trainReportWriter.js';

const modelOptions = z.strictObject({
  srcVocab: z.number().int().positive().optional(),
  tgtVocab: z.number().int().positive().optional(),
  embedding: z.number().int().positive().default(REF_SMALL.embedding),
  encoderUnits: z.number().int().positive().default(REF_SMALL.encoderUnits),
  decoderUnits: z.number().int().positive().default(REF_SMALL.decoderUnits),
  attentionalUnits: z.number().int().positive().optional(),
  attention: z.enum(ATTENTION_KINDS).default(REF_SMALL.attention),
  encoderLayers: z.number().int().positive().default(REF_SMALL.encoderLayers),
  decoderLayers: z.number().int().positive().default(REF_SMALL.decoderLayers),
  inputFeeding: z.boolean().default(REF_SMALL.inputFeeding),
  dropout: z.number().min(0).lt(1).default(REF_SMALL.dropout),
  labelSmoothing: z.number().min(0).lt(1).default(REF_SMALL.labelSmoothing),
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

/** An ISO 639-1 or 639-2 code in the config, stored as 639-1 (what model.json records). */
const languageCode = z.string().transform((code, context) => {
  try {
    return toIso6391(code);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

export const trainStageOptions = z.strictObject({
  model: modelOptions.default(modelOptions.parse({})),
  languages: z.strictObject({ source: languageCode, target: languageCode }).optional(),
  learningRate: z.number().positive().default(TRAINING_DEFAULTS.learningRate),
  clipNorm: z.number().nonnegative().default(TRAINING_DEFAULTS.clipNorm),
  schedule: schedule.default(TRAINING_DEFAULTS.schedule),
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
  checkpointEvery: z.number().int().positive().default(TRAINING_DEFAULTS.checkpointEvery),
  keepLast: z.number().int().nonnegative().default(TRAINING_DEFAULTS.keepLast),
  weightsDtype: z.enum(['float32', 'float16']).default('float32'),
  resume: z.boolean().default(true),
  initFrom: z.string().min(1).optional(),
  logEvery: z.number().int().positive().default(DEFAULT_LOG_EVERY),
  reportSentences: z.number().int().nonnegative().default(DEFAULT_REPORT_SENTENCES),
  prune: z
    .strictObject({
      target: z.number().gt(0).lt(1),
      startStep: z.number().int().nonnegative(),
      endStep: z.number().int().positive(),
      every: z.number().int().positive().default(100),
    })
    .refine((p) => p.endStep > p.startStep, {
      message: 'endStep must be greater than startStep',
      path: ['endStep'],
    })
    .optional(),
});

registerStage({
  name: 'train',
  summary:
    'train the seq2seq model on the batches; checkpoints in <workDir>/checkpoints/{last,best,step-0001000…}, metrics.jsonl and report.html in <workDir>',
  options: trainStageOptions,
  needs: ['batches', 'tokenizers'],
  provides: ['modelDir'],
  inputs: (options) =>
    options.initFrom === undefined ? [] : [{ key: ['initFrom'], path: options.initFrom, kind: 'folder' }],
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
    if (options.initFrom !== undefined && !resume) {
      const from = resolve(context.configDir, options.initFrom);
      try {
        initFromCheckpoint(model, from, { source, target });
      } catch (error) {
        model.dispose();
        throw error;
      }
      context.log(`train: starting from the weights of ${from}`);
    }
    const report = new TrainReportWriter(context, options, {
      backend: backend.reason,
      parameters: model.countParameters(),
      resumedAtStep: resume ? resumedStep(resume) : undefined,
    });
    const evaluate = await devScorer(context, options, source, target, backend, report);
    context.log(`train: ${model.countParameters().toLocaleString('en-US')} parameters`);

    const progress = createTrainProgress(context, options.maxSteps);
    let done: TrainEvent | undefined;
    try {
      await lastValueFrom(
        trainEpochs(model, (epoch) => context.batches!.train(epoch), {
          learningRate: options.learningRate,
          clipNorm: options.clipNorm,
          schedule: options.schedule,
          ...(options.prune ? { prune: options.prune } : {}),
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
            languages: options.languages,
            weightsDtype: options.weightsDtype,
            data: context.results.pipeline ? String(context.results.pipeline) : undefined,
          },
          resume,
          signal: context.signal,
          gate: context.trainGate,
        }).pipe(
          tap((event) => {
            progress.update(event);
            report.record(event);
            context.onTrainEvent?.(event);
            if (event.kind === 'done') done = event;
          }),
        ),
      );
    } finally {
      progress.stop();
      model.dispose();
      await report.settled();
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
  inputs: (options) => [{ key: ['path'], path: options.path, kind: 'folder' }],
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
  options: { bleuSentences: number; reportSentences: number },
  sourceTokenizer: Tokenizer,
  targetTokenizer: Tokenizer,
  backend: { backend: string; reason: string },
  report: TrainReportWriter,
): Promise<((model: Seq2Seq) => Promise<{ bleu: number; chrf: number }>) | undefined> {
  const dev = context.pairs?.dev;
  const count = Math.max(options.bleuSentences, options.reportSentences);
  if (!dev || options.bleuSentences === 0) return undefined;
  const pairs = await lastValueFrom(dev().pipe(take(count), toArray()));
  const plotted = pairs.slice(0, options.reportSentences).map((pair) => pair.src);
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
    const { bleu, chrf } = await evaluateModel(
      translationModel,
      sources.slice(0, options.bleuSentences),
      references.slice(0, options.bleuSentences),
      { beam: 1 },
    );
    if (plotted.length > 0) {
      report.setAttention(
        await translateSentences(translationModel, plotted, { beam: 1, returnAttention: true }),
      );
    }
    return { bleu, chrf };
  };
}
