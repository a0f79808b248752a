import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { SubflowError } from '../errors.js';
import { BACKEND_NAMES, DEFAULT_BACKEND } from '../model/backend.js';
import { configError, formatKeyPath } from './configErrors.js';
import { findStage, listStages, type StageDefinition } from './registry.js';

/** The top level of a pipeline config; stage options are checked by each stage's own schema. */
const pipelineSchema = z.strictObject({
  name: z.string().min(1).optional(),
  /** Default: `runs/<config file name without .yaml>` beside the config, so configs never share checkpoints. */
  workDir: z.string().min(1).optional(),
  backend: z.enum(BACKEND_NAMES).default(DEFAULT_BACKEND),
  seed: z.number().int().nonnegative().default(1),
  stages: z.array(z.record(z.string(), z.unknown())).min(1),
});

/** One stage of a loaded config, its options already validated. */
export interface ConfiguredStage {
  definition: StageDefinition;
  options: unknown;
  /** `stages[2].clean`, for messages. */
  key: string;
}

/** A validated pipeline config. */
export interface PipelineConfig {
  file: string;
  dir: string;
  name: string;
  workDir: string;
  backend: z.output<typeof pipelineSchema>['backend'];
  seed: number;
  stages: ConfiguredStage[];
}

/** Reads, parses and validates a YAML pipeline config; every problem names the file and key path. */
export async function loadConfig(file: string): Promise<PipelineConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new SubflowError('CONFIG_NOT_FOUND', `cannot read config ${file}`, {
      file,
      cause,
      hint: 'ready-made configs are in the config/ folder, e.g. config/toy.yaml',
    });
  }
  return parseConfig(text, file);
}

/** Validates config text; `file` is used for messages and for resolving relative paths. */
export function parseConfig(text: string, file: string): PipelineConfig {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length) {
    const [first] = document.errors;
    const line = first.linePos?.[0].line;
    throw new SubflowError(
      'CONFIG_INVALID',
      `${file}${line ? `:${line}` : ''}: not valid YAML: ${first.message}`,
      {
        file,
        line,
        cause: first,
      },
    );
  }
  const parsed = pipelineSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success) throw configError(file, parsed.error.issues);
  const dir = dirname(resolve(file));
  const stages = parsed.data.stages.map((entry, index) => configureStage(file, entry, index));
  const fileStem = basename(file).replace(/\.ya?ml$/i, '');
  return {
    file,
    dir,
    name: parsed.data.name ?? fileStem,
    workDir: resolve(dir, parsed.data.workDir ?? defaultWorkDir(file)),
    backend: parsed.data.backend,
    seed: parsed.data.seed,
    stages,
  };
}

/**
 * The workDir of a config that names none: `runs/<file name without .yaml>`, relative to the config's
 * folder. Per file rather than shared, so two configs never resume each other's checkpoints.
 */
export function defaultWorkDir(file: string): string {
  return join('runs', basename(file).replace(/\.ya?ml$/i, ''));
}

function configureStage(file: string, entry: Record<string, unknown>, index: number): ConfiguredStage {
  const names = Object.keys(entry);
  const at = formatKeyPath(['stages', index]);
  if (names.length !== 1) {
    throw new SubflowError(
      'CONFIG_INVALID',
      `${file}: ${at}: a stage is one key, the stage name, holding its options (found ${names.length} keys: ${names.join(', ') || 'none'})`,
      {
        file,
        key: at,
        hint: 'write e.g. "- clean: { maxLength: 100 }"',
      },
    );
  }
  const [name] = names;
  const definition = findStage(name);
  if (!definition) {
    throw new SubflowError('CONFIG_INVALID', `${file}: ${at}: unknown stage "${name}"`, {
      file,
      key: `${at}.${name}`,
      hint: `known stages: ${listStages()
        .map((stage) => stage.name)
        .join(', ')}`,
    });
  }
  const options = definition.options.safeParse(entry[name] ?? {});
  if (!options.success) throw configError(file, options.error.issues, ['stages', index, name]);
  return { definition, options: options.data, key: `${at}.${name}` };
}
