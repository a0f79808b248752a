import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { BUCKET_DEFAULTS, bucketBatch } from '../../operators/bucketBatch.js';
import { FlowGate } from '../../flowGate.js';
import { CLEAN_DEFAULTS, cleanPairs, type CleanStats } from '../../operators/cleanPairs.js';
import { readParallel, type ParallelSource } from '../../operators/readParallel.js';
import { tokenize } from '../../operators/tokenize.js';
import { registerStage } from '../registry.js';

const corpusFiles = z.union([
  z.strictObject({ source: z.string().min(1), target: z.string().min(1) }),
  z.strictObject({ tsv: z.string().min(1) }),
]);

type SplitName = 'train' | 'dev' | 'test';

registerStage({
  name: 'read',
  summary: 'read a parallel corpus: train (required), dev and test splits, each two aligned files or one TSV',
  options: z.strictObject({ train: corpusFiles, dev: corpusFiles.optional(), test: corpusFiles.optional() }),
  needs: [],
  provides: ['pairs'],
  inputs: (options) =>
    (['train', 'dev', 'test'] as const).flatMap((split) =>
      Object.entries(options[split] ?? {}).map(([side, path]: [string, string]) => ({
        key: [split, side],
        path,
        kind: 'file' as const,
      })),
    ),
  async run(context, options) {
    const gate = new FlowGate();
    context.trainGate = gate;
    const open = (files: ParallelSource, withGate = false) => {
      const resolved: ParallelSource =
        'tsv' in files
          ? { tsv: resolve(context.configDir, files.tsv) }
          : {
              source: resolve(context.configDir, files.source),
              target: resolve(context.configDir, files.target),
            };
      return () => readParallel(withGate ? { ...resolved, gate } : resolved);
    };
    const files = Object.values(options.train).map((file) => resolve(context.configDir, file));
    context.dataFingerprint = JSON.stringify(
      files.map((file) => {
        const info = existsSync(file) ? statSync(file) : undefined;
        return [file, info?.size, info?.mtimeMs];
      }),
    );
    context.pairs = {
      train: open(options.train, true),
      dev: options.dev && open(options.dev),
      test: options.test && open(options.test),
    };
  },
});

registerStage({
  name: 'clean',
  summary:
    'normalise text and drop empty, over-long, length-mismatched and duplicate pairs (train split only)',
  options: z.strictObject({
    maxLength: z.number().int().nonnegative().default(CLEAN_DEFAULTS.maxLength),
    lengthRatio: z.number().nonnegative().default(CLEAN_DEFAULTS.lengthRatio),
    dedupe: z.boolean().default(CLEAN_DEFAULTS.dedupe),
    dedupeWindow: z.number().int().positive().default(CLEAN_DEFAULTS.dedupeWindow),
  }),
  needs: ['pairs'],
  provides: ['pairs'],
  async run(context, options) {
    const pairs = context.pairs!;
    // Every epoch re-reads and re-cleans the corpus; the figures are the same, so report them once.
    let reported = false;
    const report = (stats: CleanStats) => {
      if (reported) return;
      reported = true;
      context.results.clean = stats;
      const dropped = Object.entries(stats.dropped)
        .filter(([, n]) => n > 0)
        .map(([why, n]) => `${n} ${why}`);
      context.log(
        `clean: kept ${stats.kept} pairs${dropped.length ? `, dropped ${dropped.join(', ')}` : ''}`,
      );
    };
    // dev/test are only normalised: dropping evaluation lines would make scores incomparable.
    context.dataFingerprint = `${context.dataFingerprint ?? ''} clean ${JSON.stringify(options)}`;
    const normaliseOnly = cleanPairs({ maxLength: 0, lengthRatio: 0, dedupe: false });
    context.pairs = {
      train: () => pairs.train().pipe(cleanPairs({ ...options, onStats: report })),
      dev: pairs.dev && (() => pairs.dev!().pipe(normaliseOnly)),
      test: pairs.test && (() => pairs.test!().pipe(normaliseOnly)),
    };
  },
});

registerStage({
  name: 'tokenize',
  summary: 'turn sentence pairs into SentencePiece ids ending with EOS',
  options: z.strictObject({}),
  needs: ['pairs', 'tokenizers'],
  provides: ['encoded'],
  async run(context) {
    const { source, target } = context.tokenizers!;
    const pairs = context.pairs!;
    const encode = (split: SplitName) => {
      const read = pairs[split];
      return read && (() => read().pipe(tokenize(source, target)));
    };
    context.encoded = { train: encode('train')!, dev: encode('dev'), test: encode('test') };
  },
});

registerStage({
  name: 'bucketBatch',
  summary: 'group encoded pairs into padded batches of similar length under a token budget',
  options: z.strictObject({
    maxTokens: z.number().int().positive().default(BUCKET_DEFAULTS.maxTokens),
    poolSize: z.number().int().positive().default(BUCKET_DEFAULTS.poolSize),
    maxBatchSize: z.number().int().positive().optional(),
  }),
  needs: ['encoded'],
  provides: ['batches'],
  async run(context, options) {
    const encoded = context.encoded!;
    const dev = encoded.dev;
    context.batches = {
      train: (epoch) => encoded.train().pipe(bucketBatch({ ...options, seed: context.seed + epoch })),
      dev: dev && (() => dev().pipe(bucketBatch({ ...options, shuffle: false }))),
    };
  },
});
