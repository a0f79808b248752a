import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SubflowError } from '../errors.js';
import { packageRoot } from '../packageInfo.js';

/** Name of the model folder subflow ships under `models/`: Spanish → English, trained on the Bible corpus. */
export const DEFAULT_MODEL_NAME = 'bible-es-en';

/** Where the bundled default model lives: `models/bible-es-en/` under the package root. */
export function defaultModelDir(): string {
  return join(packageRoot(), 'models', DEFAULT_MODEL_NAME);
}

/**
 * The checkpoint folder to translate with: `explicit` (the `--model` flag) when given, else the bundled
 * default model. Throws `FILE_NOT_FOUND` with what to do when the default model is not there (a
 * checkout where it was not trained or downloaded yet).
 */
export function resolveModelDir(explicit?: string): string {
  if (explicit !== undefined) return explicit;
  const dir = defaultModelDir();
  if (!existsSync(join(dir, 'model.json'))) {
    throw new SubflowError('FILE_NOT_FOUND', `the default model ${dir} is not there (no model.json)`, {
      file: dir,
      hint:
        'pass a checkpoint folder with --model DIR, or train one with `subflow run config/bible-es-en.yaml` ' +
        `and copy its best checkpoint folder to models/${DEFAULT_MODEL_NAME}/`,
    });
  }
  return dir;
}
