import type { Command } from 'commander';
import type { BackendName } from '../../model/backend.js';
import { compareModels, formatComparison } from '../../jobs/compareModels.js';
import { assertReadableFile } from '../../text/lines.js';
import { backendOption, integer } from './decodingFlags.js';

interface CompareFlags {
  src: string;
  ref: string;
  beams: number[];
  batchSize: number;
  limit?: number;
  backend: string;
  json?: boolean;
}

function beamList(value: string): number[] {
  return value.split(',').map((part) => integer(1)(part.trim()));
}

/**
 * `subflow compare-models A B … --src F --ref F [--beams 5,1] [--json]`: parameters, weights size,
 * BLEU/chrF2 and sentences/s per beam, and peak RSS of each model, each measured in its own process.
 */
export function registerCompareModelsCommand(program: Command): void {
  program
    .command('compare-models')
    .description(
      'score and time several models on one test split: parameters, file size, BLEU, chrF2, sentences/s, peak RSS',
    )
    .argument('<models...>', 'checkpoint folders; "default" is the bundled models/bible-es-en')
    .requiredOption('--src <file>', 'source sentences, one per line (.gz allowed)')
    .requiredOption('--ref <file>', 'reference translations, line-aligned with --src (.gz allowed)')
    .option('--beams <list>', 'beam sizes to measure, comma-separated (1 is greedy)', beamList, [5, 1])
    .option('--batch-size <n>', 'sentences decoded together', integer(1), 64)
    .option('--limit <n>', 'only the first n sentences of the split', integer(1))
    .addOption(backendOption())
    .option('--json', 'print one JSON line per model instead of the table')
    .action(async (models: string[], flags: CompareFlags) => {
      await Promise.all([assertReadableFile(flags.src), assertReadableFile(flags.ref)]);
      const results = await compareModels(
        models.map((m) => (m === 'default' ? undefined : m)),
        {
          src: flags.src,
          ref: flags.ref,
          beams: flags.beams,
          backend: flags.backend as BackendName,
          decoding: { batchSize: flags.batchSize },
          ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
        },
        (line) => process.stderr.write(`compare-models: ${line}\n`),
      );
      for (const r of results) process.stderr.write(`compare-models: ${r.model}: ${r.backend}\n`);
      const lines = flags.json ? results.map((r) => JSON.stringify(r)) : formatComparison(results);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
