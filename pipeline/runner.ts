import { mkdir } from 'node:fs/promises';
import { SubflowError } from '../errors.js';
import type { PipelineConfig } from './config.js';
import { checkConfigPaths } from './configPaths.js';
import type { PipelineContext } from './context.js';
import type { TrainEvent } from '../types.js';

export interface RunOptions {
  /** Overrides the config's backend (the CLI's --backend). */
  backend?: string;
  signal?: AbortSignal;
  log?: (message: string) => void;
  interactive?: boolean;
  /** Told of every training event of a train stage. */
  onTrainEvent?: (event: TrainEvent) => void;
}

/**
 * Runs a validated pipeline: checks that every stage gets what it needs from the stages before it
 * (so a misordered config fails before hours of work), then runs the stages in order.
 * @returns the figures the stages reported, keyed by stage.
 */
export async function runPipeline(
  config: PipelineConfig,
  options: RunOptions = {},
): Promise<Record<string, unknown>> {
  checkStageOrder(config);
  await checkConfigPaths(config);
  await mkdir(config.workDir, { recursive: true });
  const context: PipelineContext = {
    configDir: config.dir,
    workDir: config.workDir,
    seed: config.seed,
    backend: options.backend ?? config.backend,
    signal: options.signal ?? new AbortController().signal,
    log: options.log ?? ((message) => process.stderr.write(`${message}\n`)),
    interactive: options.interactive ?? false,
    onTrainEvent: options.onTrainEvent,
    results: {},
  };
  for (const stage of config.stages) {
    if (context.signal.aborted) {
      throw new SubflowError('INTERRUPTED', `interrupted before ${stage.key}`, { hint: 'rerun to continue' });
    }
    await stage.definition.run(context, stage.options);
  }
  return context.results;
}

/** Fails with the key of the first stage whose inputs no earlier stage provides. */
export function checkStageOrder(config: PipelineConfig): void {
  const available = new Set<string>();
  for (const stage of config.stages) {
    const missing = stage.definition.needs.filter((need) => !available.has(need));
    if (missing.length) {
      throw new SubflowError(
        'CONFIG_INVALID',
        `${config.file}: ${stage.key} needs ${missing.join(' and ')}, which no stage before it provides`,
        { file: config.file, key: stage.key, hint: hintFor(missing[0]) },
      );
    }
    for (const provided of stage.definition.provides) available.add(provided);
  }
}

function hintFor(missing: string): string {
  switch (missing) {
    case 'pairs':
      return 'start the stages with "- read: { train: { source: …, target: … } }"';
    case 'tokenizers':
      return 'add a trainTokenizer or loadTokenizer stage before it';
    case 'encoded':
      return 'add a tokenize stage before it';
    case 'batches':
      return 'add a bucketBatch stage before it';
    case 'modelDir':
      return 'add a train stage, or a loadModel stage naming a checkpoint folder, before it';
    default:
      return 'check the order of the stages';
  }
}
