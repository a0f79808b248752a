// Compression figures against the bundled model, all from one run (the machine may be shared, so
// compare the ratios, not the absolute speeds across runs): the bundled model (float16 file,
// float32 compute) and its int8 export (`export-model --dtype int8`) on the Bible test split at
// beam 5 and greedy, each in its own process (compareModels), then the share of dev sentences both
// translate identically at beam 5. Prints one JSON line per model and one of ratios.
// The int8 export is calibrated on the train split (export-model --calibration) unless --plain.
// Flags: --limit N (first N sentences of the test and dev splits; default all), --backend NAME, --plain,
// --also DIR (repeatable: more model folders measured in the same run, e.g. a pruned model or a distilled
// student, each printed as its own line; the ratios stay the int8 export's).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { compareModels } from '../jobs/compareModels.js';
import { resolveBackend, type BackendName } from '../model/backend.js';
import { defaultModelDir } from '../model/defaultModel.js';
import { loadModel } from '../model/translationModel.js';
import { translateSentences } from '../model/translateSentences.js';
import { main } from '../pipeline/program.js';
import { printFigure } from './_common.js';

const { values: flags } = parseArgs({
  options: {
    limit: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    plain: { type: 'boolean', default: false },
    also: { type: 'string', multiple: true, default: [] },
  },
});
const limit = flags.limit === undefined ? undefined : Number(flags.limit);
const backend = flags.backend as BackendName;
const corpus = fileURLToPath(new URL('../corpora/bible-es-en/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'subflow-bench-compress-'));
try {
  const bundled = defaultModelDir();
  const int8 = join(work, 'int8');
  const calibration = flags.plain ? [] : ['--calibration', join(corpus, 'train.es.gz')];
  if ((await main(['export-model', bundled, int8, '--dtype', 'int8', ...calibration])) !== 0)
    throw new Error('export-model failed');
  const [float, quantized, ...others] = await compareModels(
    [bundled, int8, ...flags.also],
    {
      src: join(corpus, 'test.es.gz'),
      ref: join(corpus, 'test.en.gz'),
      beams: [5, 1],
      backend,
      ...(limit !== undefined ? { limit } : {}),
    },
    (line) => process.stderr.write(`compress: ${line}\n`),
  );
  for (const result of [float, quantized, ...others]) printFigure({ bench: 'compress', ...result });

  await resolveBackend(backend);
  const dev = gunzipSync(readFileSync(join(corpus, 'dev.es.gz')))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .slice(0, limit);
  const hypotheses: string[][] = [];
  for (const dir of [bundled, int8]) {
    const model = await loadModel(dir, { backend: 'current' });
    hypotheses.push((await translateSentences(model, dev, { beam: 5 })).map((t) => t.text));
    model.dispose();
  }
  const identical = hypotheses[0].filter((text, i) => text === hypotheses[1][i]).length;
  const [f5, q5] = [float.runs[0], quantized.runs[0]];
  printFigure({
    bench: 'compress-ratios',
    note: 'int8 vs the bundled float model, same run',
    int8WeightsVsFloat32: quantized.weightsBytes / (2 * float.weightsBytes),
    bleuDeltaBeam5: q5.bleu - f5.bleu,
    speedupBeam5: q5.sentencesPerSecond / f5.sentencesPerSecond,
    speedupGreedy: quantized.runs[1].sentencesPerSecond / float.runs[1].sentencesPerSecond,
    devIdenticalBeam5: identical / dev.length,
    devSentences: dev.length,
    int8Calibrated: !flags.plain,
    int8Backend: quantized.backend,
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
