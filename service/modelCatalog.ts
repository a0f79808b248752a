import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { SubflowError } from '../errors.js';
import type { BackendName } from '../model/backend.js';
import { resolveModelDir } from '../model/defaultModel.js';
import { loadModel, type TranslationModel } from '../model/translationModel.js';

/** Language code shown for a model whose model.json names no language pair. */
export const UNKNOWN_LANGUAGE = 'unknown';

/** A model the server loaded, chosen by clients by `name` (its folder's name), never by path. */
export interface ServedModel {
  name: string;
  model: TranslationModel;
  languages: { source: string; target: string };
}

/** A loaded model under a name; the language pair comes from the model, else "unknown". */
export function servedModel(name: string, model: TranslationModel): ServedModel {
  return {
    name,
    model,
    languages: model.languages ?? { source: UNKNOWN_LANGUAGE, target: UNKNOWN_LANGUAGE },
  };
}

/**
 * The checkpoint folders to serve: each `--model DIR`, and every folder with a model.json directly
 * inside `--models DIR`; the bundled model when neither is given. Names (folder names) must differ.
 */
export function modelFolders(dirs: readonly string[], modelsDir?: string): { name: string; dir: string }[] {
  const folders = dirs.map((dir) => resolve(dir));
  if (modelsDir !== undefined) {
    if (!existsSync(modelsDir) || !statSync(modelsDir).isDirectory()) {
      throw new SubflowError('FILE_NOT_FOUND', `--models ${modelsDir} is not a folder`, {
        file: modelsDir,
        hint: 'give --models a folder whose subfolders are checkpoints',
      });
    }
    const found = readdirSync(modelsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(modelsDir, entry.name, 'model.json')))
      .map((entry) => resolve(modelsDir, entry.name))
      .sort();
    if (found.length === 0) {
      throw new SubflowError('FILE_NOT_FOUND', `--models ${modelsDir} holds no checkpoint folder`, {
        file: modelsDir,
        hint: 'each model is a subfolder with model.json, weights.bin, source.model and target.model',
      });
    }
    folders.push(...found);
  }
  if (folders.length === 0) folders.push(resolve(resolveModelDir()));
  const named = folders.map((dir) => ({ name: basename(dir), dir }));
  const seen = new Map<string, string>();
  for (const { name, dir } of named) {
    const other = seen.get(name);
    if (other !== undefined) {
      throw new SubflowError('BAD_ARGUMENT', `two models are named ${name}: ${other} and ${dir}`, {
        hint: 'clients choose models by folder name, so rename one folder',
      });
    }
    seen.set(name, dir);
  }
  return named;
}

/** Loads every folder of {@link modelFolders}; on a failure, frees the models already loaded. */
export async function loadServedModels(
  folders: readonly { name: string; dir: string }[],
  backend: BackendName,
): Promise<ServedModel[]> {
  const served: ServedModel[] = [];
  try {
    for (const { name, dir } of folders) served.push(servedModel(name, await loadModel(dir, { backend })));
  } catch (error) {
    for (const s of served) s.model.dispose();
    throw error;
  }
  return served;
}

/** What GET /v1/models says of a model. */
export function describeModel(served: ServedModel) {
  const { model } = served;
  const weights = join(model.dir, 'weights.bin');
  return {
    name: served.name,
    languages: served.languages,
    parameters: model.model.countParameters(),
    sizeBytes: existsSync(weights) ? statSync(weights).size : undefined,
    backend: model.backend.name,
    config: model.model.config,
  };
}
