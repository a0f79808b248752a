import { fileURLToPath } from 'node:url';

/** The bundled toy corpus folder (corpora/toy/), with a trailing slash. */
export const TOY_CORPUS = fileURLToPath(new URL('../../corpora/toy/', import.meta.url));

/**
 * A pipeline config over the toy corpus with a tiny network, for tests that train a few steps:
 * `trainKeys` are the train stage's keys after `model`, one `key: value` per line.
 */
export function toyConfigYaml(trainKeys: string, workDir = 'run'): string {
  const keys = trainKeys
    .trim()
    .split('\n')
    .map((line) => `      ${line.trim()}`)
    .join('\n');
  return `workDir: ${workDir}
backend: wasm
stages:
  - read:
      train: { source: ${TOY_CORPUS}train.es, target: ${TOY_CORPUS}train.en }
      dev: { source: ${TOY_CORPUS}dev.es, target: ${TOY_CORPUS}dev.en }
  - clean: {}
  - trainTokenizer: { vocabSize: 300 }
  - tokenize: {}
  - bucketBatch: { maxTokens: 1000 }
  - train:
      model: { embedding: 16, encoderUnits: 16, decoderUnits: 32 }
${keys}
`;
}
