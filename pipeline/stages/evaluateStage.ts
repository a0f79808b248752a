import { resolve } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { z } from 'zod';
import { SubflowError } from '../../errors.js';
import type { BackendName } from '../../model/backend.js';
import { loadModel } from '../../model/translationModel.js';
import { evaluateModel, formatScores } from '../../jobs/evaluateModel.js';
import { openTextOutput } from '../../text/textOutput.js';
import { registerStage } from '../registry.js';
import { DECODING_STAGE_OPTIONS } from './decodingOptions.js';

/** A read stage with each split the evaluate stage can use, for its hint. */
const READ_WITH_SPLIT = {
  test: '"- read: { train: { source: …, target: … }, test: { source: …, target: … } }"',
  dev: '"- read: { train: { source: …, target: … }, dev: { source: …, target: … } }"',
};

registerStage({
  name: 'evaluate',
  summary: 'translate the test (or dev) split with the trained model and report BLEU and chrF2',
  options: z.strictObject({
    split: z.enum(['test', 'dev']).default('test'),
    ...DECODING_STAGE_OPTIONS,
    /** Hypotheses file, relative to workDir. Default `<split>.hyp`. */
    output: z.string().min(1).optional(),
  }),
  needs: ['pairs', 'modelDir'],
  provides: [],
  async run(context, options) {
    const { split, output: outputName, ...searchOptions } = options;
    const read = context.pairs![split];
    if (!read) {
      throw new SubflowError('CONFIG_INVALID', `evaluate: the read stage has no ${split} split`, {
        key: `evaluate.split`,
        hint: `give the read stage a ${split} split, e.g. ${READ_WITH_SPLIT[split]}, or choose the other split`,
      });
    }
    const pairs = await lastValueFrom(read().pipe(toArray()));
    const translationModel = await loadModel(context.modelDir!, { backend: context.backend as BackendName });
    const file = resolve(context.workDir, outputName ?? `${split}.hyp`);
    const output = await openTextOutput(file);
    try {
      context.log(`evaluate: translating ${pairs.length} ${split} sentences with beam ${options.beam}`);
      const result = await evaluateModel(
        translationModel,
        pairs.map((p) => p.src),
        pairs.map((p) => p.tgt),
        {
          ...searchOptions,
          signal: context.signal,
          onWarning: (w) => context.log(`evaluate: ${split} line ${w.index + 1}: ${w.message}`),
        },
      );
      for (const line of result.hypotheses) await output.write(line);
      await output.commit();
      for (const line of formatScores(result)) context.log(`evaluate: ${line}`);
      const { hypotheses: _hypotheses, ...figures } = result;
      context.results.evaluate = { split, beam: options.beam, ...figures, hypothesesFile: file };
    } catch (error) {
      await output.abort();
      throw error;
    } finally {
      translationModel.dispose();
    }
  },
});
