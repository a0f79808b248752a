import { z } from 'zod';
import { TRANSLATE_DEFAULTS } from '../../model/translateSentences.js';

/**
 * The decoding keys a stage that translates takes (evaluate, distill), with translateSentences'
 * defaults: spread into the stage's `z.strictObject({...})`.
 */
export const DECODING_STAGE_OPTIONS = {
  beam: z.number().int().min(1).default(TRANSLATE_DEFAULTS.beam),
  alpha: z.number().nonnegative().default(TRANSLATE_DEFAULTS.alpha),
  maxLengthRatio: z.number().nonnegative().default(TRANSLATE_DEFAULTS.maxLengthRatio),
  maxLengthConstant: z.number().nonnegative().default(TRANSLATE_DEFAULTS.maxLengthConstant),
  batchSize: z.number().int().positive().default(TRANSLATE_DEFAULTS.batchSize),
  maxTokens: z.number().int().positive().default(TRANSLATE_DEFAULTS.maxTokens),
  maxSourceLength: z.number().int().positive().default(TRANSLATE_DEFAULTS.maxSourceLength),
};
