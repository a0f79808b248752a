import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_MAX_SOURCE_LENGTH, type TranslateOptions } from '../../model/translateSentences.js';

/** Backends a command may ask for (see model/backend.ts). */
export const backendChoices = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** The decoding flags shared by translate-text and eval, as commander parses them. */
export interface DecodingFlags {
  beam: number;
  nBest?: number;
  alpha: number;
  maxLengthRatio: number;
  maxLengthConstant: number;
  minLength: number;
  batchSize: number;
  maxTokens: number;
  maxSourceLength: number;
  replaceUnk?: boolean;
  backend: string;
}

/** Help of `--max-source-length` (translate-text, eval, translate). */
export const MAX_SOURCE_LENGTH_HELP =
  'longest source in tokens decoded whole; longer ones are translated in parts, cut at sentence ends, then clauses, then words';

/** Commander parser for an integer flag of at least `min`. */
export function integer(min: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min)
      throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return parsed;
  };
}

/** Commander parser for a number flag ≥ 0. */
export function nonNegative(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return parsed;
}

/** Adds --beam, --n-best, --alpha, length limits and batching flags to a command. */
export function decodingOptions(command: Command): Command {
  return command
    .option('-b, --beam <k>', 'beam size; 1 is greedy', integer(1), 5)
    .option('-n, --n-best <n>', 'print the n best translations per line (n ≤ beam)', integer(1))
    .option('--alpha <a>', 'GNMT length-penalty exponent', nonNegative, 0.6)
    .option('--max-length-ratio <r>', 'output tokens ≤ r · source tokens + constant', nonNegative, 2)
    .option('--max-length-constant <c>', 'see --max-length-ratio', nonNegative, 10)
    .option(
      '--min-length <n>',
      'no EOS before n output tokens (0 allows an empty translation)',
      integer(0),
      1,
    )
    .option('--batch-size <n>', 'sentences decoded together', integer(1), 64)
    .option('--max-tokens <n>', 'source tokens (with padding) per batch', integer(1), 4000)
    .option('--max-source-length <n>', MAX_SOURCE_LENGTH_HELP, integer(1), DEFAULT_MAX_SOURCE_LENGTH)
    .option('--replace-unk', 'replace <unk> in the output with the most-attended source piece');
}

/** Translate options from parsed flags. */
export function searchOptionsOf(flags: DecodingFlags): TranslateOptions {
  return {
    beam: flags.beam,
    nBest: flags.nBest,
    alpha: flags.alpha,
    maxLengthRatio: flags.maxLengthRatio,
    maxLengthConstant: flags.maxLengthConstant,
    minLength: flags.minLength,
    batchSize: flags.batchSize,
    maxTokens: flags.maxTokens,
    maxSourceLength: flags.maxSourceLength,
    replaceUnk: flags.replaceUnk ?? false,
  };
}
