import type { z } from 'zod';
import type { PipelineContext } from './context.js';

/**
 * A named pipeline stage: the options it takes (a zod schema, so configs are checked before anything
 * runs) and what it does to the pipeline context when its turn comes.
 */
export interface StageDefinition<Schema extends z.ZodType = z.ZodType> {
  name: string;
  /** One line for `subflow stages` and errors. */
  summary: string;
  options: Schema;
  /** Context keys this stage needs a previous stage to have set. */
  needs: readonly (keyof PipelineContext)[];
  /** Context keys this stage sets for the stages after it. */
  provides: readonly (keyof PipelineContext)[];
  /**
   * Files and folders named in the options that must exist before the run starts, so a wrong path
   * fails before any stage runs and names its config key. Relative paths are resolved against the config.
   */
  inputs?(options: z.output<Schema>): StageInput[];
  run(context: PipelineContext, options: z.output<Schema>): Promise<void>;
}

/** A path a stage reads, as written in the config. */
export interface StageInput {
  /** Key path inside the stage's options, e.g. `['train', 'source']`. */
  key: readonly (string | number)[];
  path: string;
  kind: 'file' | 'folder';
}

const stages = new Map<string, StageDefinition>();

/** Adds a stage under its name; a second stage of the same name is a programming error. */
export function registerStage<Schema extends z.ZodType>(definition: StageDefinition<Schema>): void {
  if (stages.has(definition.name)) throw new Error(`stage ${definition.name} registered twice`);
  stages.set(definition.name, definition as unknown as StageDefinition);
}

/** The stage registered under `name`, if any. */
export function findStage(name: string): StageDefinition | undefined {
  return stages.get(name);
}

/** All registered stages, in registration order. */
export function listStages(): StageDefinition[] {
  return [...stages.values()];
}
