// The ready configs in config/ are the reference for config keys: every key a stage accepts is
// documented in config/bible-es-en.yaml, and every key written in any config carries a comment.
import { expect } from 'chai';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { loadConfig } from '../../pipeline/config.js';
import { listStages } from '../../pipeline/registry.js';
import { checkStageOrder } from '../../pipeline/runner.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { count, lastValueFrom, toArray } from 'rxjs';
import '../../pipeline/stages/index.js';
import { useTempDir } from '../helpers/tempDir.js';

const root = join(import.meta.dirname, '..', '..');
const configDir = join(root, 'config');
const reference = readFileSync(join(configDir, 'bible-es-en.yaml'), 'utf8');

interface ZodDefinition {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
}

/** Every key path a zod schema accepts (`earlyStopping.minDelta`, `schedule.warmupSteps` …). */
function keyPaths(schema: z.ZodType, prefix = ''): string[] {
  const def = (schema as unknown as { _zod: { def: ZodDefinition } })._zod.def;
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([key, value]) => [
      `${prefix}${key}`,
      ...keyPaths(value, `${prefix}${key}.`),
    ]);
  }
  if (def.innerType) return keyPaths(def.innerType, prefix);
  if (def.options) return [...new Set(def.options.flatMap((option) => keyPaths(option, prefix)))];
  if (def.in) return keyPaths(def.in, prefix);
  return [];
}

describe('config/: every key documented', () => {
  it('config/bible-es-en.yaml names every stage and every key a stage accepts', () => {
    const missing: string[] = [];
    for (const stage of listStages()) {
      if (!new RegExp(`- ${stage.name}:`).test(reference)) missing.push(`stage ${stage.name}`);
      for (const path of keyPaths(stage.options)) {
        const key = path.split('.').pop()!;
        if (!new RegExp(`\\b${key}\\s*:`).test(reference)) missing.push(`${stage.name}: ${path}`);
      }
    }
    for (const key of ['name', 'workDir', 'backend', 'seed', 'stages']) {
      if (!new RegExp(`^${key}:`, 'm').test(reference)) missing.push(key);
    }
    expect(missing).to.deep.equal([]);
  });

  it('every key line of every config has a comment on it or just above it', () => {
    const bare: string[] = [];
    for (const file of readdirSync(configDir).filter((name) => name.endsWith('.yaml'))) {
      const lines = readFileSync(join(configDir, file), 'utf8').split('\n');
      lines.forEach((line, index) => {
        if (!/^\s*(- )?[A-Za-z]+:/.test(line) || line.includes('#')) return;
        const above = lines[index - 1] ?? '';
        const opensBlock = /^\s*(- )?[A-Za-z]+:\s*$/.test(line); // "stages:", "- train:" hold commented keys
        if (!/^\s*#/.test(above) && !opensBlock) bare.push(`${file}:${index + 1}: ${line.trim()}`);
      });
    }
    expect(bare).to.deep.equal([]);
  });

  it('the shipped model config and its model card agree on the training run', () => {
    const small = readFileSync(join(configDir, 'bible-es-en-small.yaml'), 'utf8');
    const minutes = /maxMinutes: (\d+)/.exec(small)?.[1];
    const card = readFileSync(join(root, 'docs', 'model-card.md'), 'utf8');
    expect(card).to.include(`maxMinutes: ${minutes}`);
    const model = JSON.parse(readFileSync(join(root, 'models', 'bible-es-en', 'model.json'), 'utf8')) as {
      training: { step: number; epoch: number; bestScore: number };
    };
    const { step, epoch, bestScore } = model.training;
    expect(card).to.include(`${step.toLocaleString('en')} steps, ${epoch} epochs`);
    expect(card).to.include(`best dev loss ${bestScore.toFixed(2)}`);
  });
});

describe('config/opensubtitles-es-en.yaml on a small corpus of the same shape', function () {
  this.timeout(120_000);
  const dir = useTempDir('subflow-opensubtitles-');

  it('validates, and its read and clean stages take the cut Moses files', async () => {
    // The README's layout: config/ and corpora/opensubtitles/{train,dev,test}.{es,en} beside it.
    const fixture = join(root, 'test', 'fixtures', 'opensubtitles');
    mkdirSync(join(dir(), 'config'));
    mkdirSync(join(dir(), 'corpora', 'opensubtitles'), { recursive: true });
    copyFileSync(
      join(configDir, 'opensubtitles-es-en.yaml'),
      join(dir(), 'config', 'opensubtitles-es-en.yaml'),
    );
    const cuts = { train: [0, 300], dev: [300, 330], test: [330, 360] } as const;
    for (const side of ['es', 'en']) {
      const lines = readFileSync(join(fixture, `OpenSubtitles.en-es.${side}`), 'utf8').split('\n');
      for (const [split, [from, to]] of Object.entries(cuts)) {
        writeFileSync(
          join(dir(), 'corpora', 'opensubtitles', `${split}.${side}`),
          `${lines.slice(from, to).join('\n')}\n`,
        );
      }
    }
    const config = await loadConfig(join(dir(), 'config', 'opensubtitles-es-en.yaml'));
    checkStageOrder(config);
    expect(config.workDir).to.equal(join(dir(), 'runs', 'opensubtitles-es-en'));
    const context: PipelineContext = {
      configDir: config.dir,
      workDir: config.workDir,
      seed: config.seed,
      backend: config.backend,
      signal: new AbortController().signal,
      log: () => {},
      interactive: false,
      results: {},
    };
    for (const stage of config.stages.slice(0, 2)) await stage.definition.run(context, stage.options);
    const train = await lastValueFrom(context.pairs!.train().pipe(toArray()));
    expect(train).to.have.length(300);
    expect(train[0]).to.deep.include({ src: 'Sofía tiene hambre.', tgt: 'Sofía is hungry.' });
    expect(await lastValueFrom(context.pairs!.dev!().pipe(count()))).to.equal(30);
  });
});
