// Data-stage throughput: pairs/s through read → clean → tokenize → bucketBatch on the bundled Bible
// corpus, and peak RSS while streaming generated corpora of 200k and 2M lines through the same stages
// (each in a fresh process) — the RSS must not grow with corpus size.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, reduce } from 'rxjs';
import { bucketBatch } from '../operators/bucketBatch.js';
import { cleanPairs } from '../operators/cleanPairs.js';
import { readParallel } from '../operators/readParallel.js';
import { tokenize } from '../operators/tokenize.js';
import { trainTokenizer } from '../operators/trainTokenizer.js';
import { Tokenizer } from '../text/tokenizer.js';
import { peakRssMb, printFigure } from './_common.js';

const corpusDir = fileURLToPath(new URL('../corpora/bible-es-en/', import.meta.url));
const corpusFile = (name: string) => [join(corpusDir, name), join(corpusDir, `${name}.gz`)].find(existsSync)!;

async function throughput(files: { source: string; target: string }, source: Tokenizer, target: Tokenizer) {
  const started = process.hrtime.bigint();
  const counts = await lastValueFrom(
    readParallel(files).pipe(
      cleanPairs({ dedupeWindow: 100_000 }),
      tokenize(source, target),
      bucketBatch({ maxTokens: 2000, poolSize: 20_000 }),
      reduce((sum, batch) => ({ pairs: sum.pairs + batch.size, batches: sum.batches + 1 }), {
        pairs: 0,
        batches: 0,
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { ...counts, seconds };
}

async function writeGenerated(dir: string, lines: number): Promise<{ source: string; target: string }> {
  const source = join(dir, `gen-${lines}.es`);
  const target = join(dir, `gen-${lines}.en`);
  const es = createWriteStream(source);
  const en = createWriteStream(target);
  for (let i = 0; i < lines; i++) {
    // Numbered so dedupe keeps them: the worst case for its memory.
    es.write(`el hombre número ${i} caminó por el camino hacia la ciudad\n`);
    en.write(`the man number ${i} walked along the road to the city\n`);
    // Check each stream only now: one may drain while we wait for the other.
    for (const stream of [es, en]) {
      if (stream.writableNeedDrain)
        await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    }
  }
  await Promise.all([
    new Promise<void>((r) => es.end(() => r())),
    new Promise<void>((r) => en.end(() => r())),
  ]);
  return { source, target };
}

async function main() {
  const [mode, arg1, arg2, arg3] = process.argv.slice(2);
  if (mode === '--stream') {
    // Child process: stream an existing generated corpus and report this process's peak RSS.
    const [source, target] = await Promise.all([Tokenizer.load(arg2), Tokenizer.load(arg3)]);
    const lines = Number(arg1.replace(/^.*gen-(\d+)\.es$/, '$1'));
    const result = await throughput({ source: arg1, target: arg1.replace(/\.es$/, '.en') }, source, target);
    printFigure({
      bench: 'data-stream',
      lines,
      pairs_per_second: Math.round(result.pairs / result.seconds),
      peak_rss_mb: peakRssMb(),
    });
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'subflow-bench-data-'));
  try {
    const files = { source: corpusFile('train.es'), target: corpusFile('train.en') };
    const tokenizers = await lastValueFrom(
      readParallel(files).pipe(cleanPairs(), trainTokenizer({ outDir: join(work, 'spm'), vocabSize: 8000 })),
    );
    const result = await throughput(files, tokenizers.source, tokenizers.target);
    printFigure({
      bench: 'data',
      corpus: 'bible-es-en/train',
      pairs: result.pairs,
      batches: result.batches,
      pairs_per_second: Math.round(result.pairs / result.seconds),
      peak_rss_mb: peakRssMb(),
    });
    for (const lines of [200_000, 2_000_000]) {
      const generated = await writeGenerated(work, lines);
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(import.meta.url),
          '--stream',
          generated.source,
          tokenizers.source.modelPath,
          tokenizers.target.modelPath,
        ],
        { stdio: 'inherit' },
      );
      if (child.status !== 0) throw new Error(`streaming ${lines} lines failed`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
