import { InvalidArgumentError, Option, type Command } from 'commander';
import { BACKEND_NAMES, DEFAULT_BACKEND, type BackendName } from '../../model/backend.js';
import { TRANSLATE_DEFAULTS, type DecodingSettings } from '../../model/translateSentences.js';

/** The decoding flags shared by translate-text, translate and eval, as commander parses them. */
export interface DecodingFlags extends Required<Omit<DecodingSettings, 'nBest' | 'replaceUnk'>> {
  /** Only where the command has --n-best (translate-text). */
  nBest?: number;
  replaceUnk?: boolean;
  backend: BackendName;
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

/** `--backend <name>`, one of BACKEND_NAMES; with `withDefault` it defaults to DEFAULT_BACKEND. */
export function backendOption(description = 'tfjs backend', withDefault = true): Option {
  const option = new Option('--backend <name>', description).choices(BACKEND_NAMES);
  return withDefault ? option.default(DEFAULT_BACKEND) : option;
}

/**
 * Adds the flags every decoding command shares: --beam, --alpha, the length limits, batching, --max-source-length,
 * --replace-unk and --backend (defaults from TRANSLATE_DEFAULTS and DEFAULT_BACKEND).
 */
export function decodingOptions(command: Command, { backend = true } = {}): Command {
  const defaults = TRANSLATE_DEFAULTS;
  const chained = command
    .option('-b, --beam <k>', 'beam size; 1 is greedy', integer(1), defaults.beam)
    .option('--alpha <a>', 'GNMT length-penalty exponent', nonNegative, defaults.alpha)
    .option(
      '--max-length-ratio <r>',
      'output tokens ≤ r · source tokens + constant',
      nonNegative,
      defaults.maxLengthRatio,
    )
    .option('--max-length-constant <c>', 'see --max-length-ratio', nonNegative, defaults.maxLengthConstant)
    .option(
      '--min-length <n>',
      'no EOS before n output tokens (0 allows an empty translation)',
      integer(0),
      defaults.minLength,
    )
    .option('--batch-size <n>', 'sentences decoded together', integer(1), defaults.batchSize)
    .option('--max-tokens <n>', 'source tokens (with padding) per batch', integer(1), defaults.maxTokens)
    .option('--max-source-length <n>', MAX_SOURCE_LENGTH_HELP, integer(1), defaults.maxSourceLength)
    .option('--replace-unk', 'replace <unk> in the output with the most-attended source piece');
  return backend ? chained.addOption(backendOption()) : chained;
}

/** Adds --n-best, for commands that print more than one translation per input. */
export function nBestOption(command: Command): Command {
  return command.option('-n, --n-best <n>', 'print the n best translations per line (n ≤ beam)', integer(1));
}
