// The rule-based baseline the shipped model must beat: Debian's Apertium spa-eng on the bundled
// Bible test split, scored with the same BLEU and chrF2 as `subflow eval`.
// Needs `apt-get install apertium apertium-eng-spa`. Usage: npm run bench -- apertium [split]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, map, toArray } from 'rxjs';
import { readParallel } from '../operators/readParallel.js';
import { corpusBleu } from '../text/bleu.js';
import { corpusChrf } from '../text/chrf.js';
import { printFigure } from './_common.js';

const split = process.argv[2] ?? 'test';
const corpus = fileURLToPath(new URL('../corpora/bible-es-en/', import.meta.url));
const pairs = await lastValueFrom(
  readParallel({ source: join(corpus, `${split}.es.gz`), target: join(corpus, `${split}.en.gz`) }).pipe(
    map((pair) => [pair.src, pair.tgt] as const),
    toArray(),
  ),
);

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unescape = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

// Each verse becomes its own <p>: Apertium never moves words across a formatting "superblank",
// so one process translates every line separately (plain text would let words drift across lines).
const started = Date.now();
const out = fileURLToPath(new URL('../runs/apertium/', import.meta.url));
mkdirSync(out, { recursive: true });
// Apertium's wrapper script cannot detect the format of a piped stdin from Node, so use files.
const inputFile = join(out, `${split}.in.html`);
writeFileSync(inputFile, `${pairs.map(([src]) => `<p>${escape(src)}</p>`).join('\n')}\n`);
const outputFile = join(out, `${split}.out.html`);
const result = spawnSync('apertium', ['-u', '-f', 'html-noent', 'spa-eng', inputFile, outputFile], {
  encoding: 'utf8',
});
if (result.error || result.status !== 0) {
  process.stderr.write(`apertium failed: ${result.error?.message ?? result.stderr}\n`);
  process.stderr.write('install it with: apt-get install apertium apertium-eng-spa\n');
  process.exit(1);
}
const hypotheses = readFileSync(outputFile, 'utf8')
  .split('</p>')
  .slice(0, pairs.length)
  .map((part) => unescape(part.replace(/<p>/g, '').replace(/\s+/g, ' ').trim()));
if (hypotheses.length !== pairs.length)
  throw new Error(`apertium returned ${hypotheses.length} of ${pairs.length} lines`);
const references = pairs.map(([, tgt]) => tgt);
writeFileSync(join(out, `${split}.hyp`), `${hypotheses.join('\n')}\n`);
const bleu = corpusBleu(hypotheses, references);
const chrf = corpusChrf(hypotheses, references);
printFigure({
  bench: 'apertium',
  system: 'apertium spa-eng',
  split,
  lines: pairs.length,
  bleu: Number(bleu.score.toFixed(2)),
  chrf2: Number(chrf.score.toFixed(2)),
  seconds: Math.round((Date.now() - started) / 100) / 10,
  bleu_signature: bleu.signature,
  chrf_signature: chrf.signature,
});
