import { readFileSync } from 'node:fs';
import { assignWeights, loadCheckpoint } from '../../model/checkpoint.js';
import { ARCHITECTURE_KEYS, type ModelConfig } from '../../model/config.js';
import type { Seq2Seq } from '../../model/seq2seq.js';
import { SubflowError, isSubflowError } from '../../errors.js';
import type { Tokenizer } from '../../text/tokenizer.js';

const KEY = 'train.initFrom';

/**
 * Starts a new training run from the weights of the checkpoint folder `dir` (`train.initFrom`:
 * fine-tuning, or pruning a trained model), after checking that it was trained with the same
 * tokenizers and the same architecture as `model` (dropout and label smoothing may differ). The
 * optimizer and the step count start afresh.
 * @throws SubflowError CONFIG_INVALID naming train.initFrom and what differs; MODEL_INVALID for a
 *   folder that is not a sound checkpoint
 */
export function initFromCheckpoint(
  model: Seq2Seq,
  dir: string,
  tokenizers: { source: Tokenizer; target: Tokenizer },
): void {
  const checkpoint = (() => {
    try {
      return loadCheckpoint(dir);
    } catch (error) {
      if (!isSubflowError(error)) throw error;
      throw new SubflowError(error.code, `${KEY}: ${error.message}`, {
        key: KEY,
        file: error.file,
        cause: error,
        hint: 'set train.initFrom to a checkpoint folder (model.json, weights.bin, source.model, target.model)',
      });
    }
  })();
  const saved = checkpoint.model.modelConfig as Partial<ModelConfig>;
  const differences = ARCHITECTURE_KEYS.filter((key) => saved[key] !== model.config[key]).map(
    (key) => `${key} is ${String(saved[key])} there but ${String(model.config[key])} here`,
  );
  if (differences.length > 0) {
    throw new SubflowError(
      'CONFIG_INVALID',
      `${KEY}: ${checkpoint.dir} has another architecture: ${differences.join('; ')}`,
      {
        key: KEY,
        file: checkpoint.dir,
        hint: "set train.model to the checkpoint's modelConfig (its model.json)",
      },
    );
  }
  for (const side of ['source', 'target'] as const) {
    const theirs = checkpoint.tokenizerPaths?.[side];
    const ours = tokenizers[side].modelPath;
    if (theirs === undefined || !readFileSync(theirs).equals(readFileSync(ours))) {
      throw new SubflowError(
        'CONFIG_INVALID',
        `${KEY}: ${checkpoint.dir} was trained with another ${side} tokenizer than ${ours}`,
        {
          key: KEY,
          file: checkpoint.dir,
          hint: `its weights only fit its own pieces: replace trainTokenizer by loadTokenizer with ${checkpoint.dir}/source.model and target.model`,
        },
      );
    }
  }
  assignWeights(model, checkpoint);
}
