import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadModel } from '../../model/translationModel.js';
import { translateSentences } from '../../model/translateSentences.js';
import { parseConfig } from '../../pipeline/config.js';
import { main } from '../../pipeline/program.js';
import { runPipeline } from '../../pipeline/runner.js';
import '../../pipeline/stages/index.js';
import { SeededRandom } from '../../random.js';
import { BUNDLED_MODEL, longestLoop, shortVerses } from '../helpers/bibleVerses.js';
import { useTempDir } from '../helpers/tempDir.js';
import { numberPair, reverseTranslation, tinyCheckpoint } from '../operators/tinyCheckpoint.js';

/** Runs the CLI in-process and captures what it prints. */
async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

describe('pipeline: translate-text, eval and the evaluate stage', function () {
  this.timeout(600_000);
  const temp = useTempDir();
  let modelDir: string;
  let sources: string[];

  before(async () => {
    modelDir = await tinyCheckpoint();
    const rng = new SeededRandom(31);
    sources = Array.from({ length: 12 }, () => numberPair(rng).src);
  });

  it('translate-text translates a file into a file, one line per line, empty lines kept', async () => {
    const input = join(temp(), 'in.es');
    const output = join(temp(), 'out', 'hyp.en');
    const lines = [...sources.slice(0, 5), '', ...sources.slice(5)];
    writeFileSync(input, `${lines.join('\n')}\n`);
    const result = await runCli([
      'translate-text',
      '--model',
      modelDir,
      '--input',
      input,
      '--output',
      output,
      '--beam',
      '3',
      '--backend',
      'wasm',
    ]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.equal('');
    const written = readFileSync(output, 'utf8').split('\n');
    expect(written).to.have.length(lines.length + 1);
    expect(written[5]).to.equal('');
    const model = await loadModel(modelDir, { backend: 'current' });
    const expected = await translateSentences(model, lines, { beam: 3 });
    model.dispose();
    expect(written.slice(0, -1)).to.deep.equal(expected.map((t) => t.text));
    expect(readdirSync(join(temp(), 'out'))).to.deep.equal(['hyp.en']); // no temp file left
  });

  it('translate-text translates a 5,000-word line in full, in parts, with no decoding loop', async () => {
    const { es, en } = await shortVerses(700, 12);
    let words = 0;
    const taken = es.findIndex((verse) => (words += verse.split(' ').length) >= 5000);
    expect(taken, 'enough short verses for 5,000 words').to.be.greaterThan(0);
    const input = join(temp(), 'long.es');
    const output = join(temp(), 'long.en');
    writeFileSync(input, `${es.slice(0, taken + 1).join(' ')}\n`);
    const result = await runCli([
      'translate-text',
      '--model',
      BUNDLED_MODEL,
      '--input',
      input,
      '--output',
      output,
      '--beam',
      '1',
    ]);
    expect(result.code, result.stderr).to.equal(0);
    const written = readFileSync(output, 'utf8').split('\n');
    expect(written).to.have.length(2);
    const translated = written[0].split(/\s+/).length;
    const reference = en
      .slice(0, taken + 1)
      .join(' ')
      .split(/\s+/).length;
    expect(translated / reference).to.be.within(0.7, 1.4);
    expect(longestLoop(written[0])).to.be.below(20);
    expect(result.stderr).to.match(/line 1: its \d+ tokens were translated in \d+ parts/);
  });

  it('translate-text, eval and the evaluate stage take the source length limit (--max-source-length, maxSourceLength)', async () => {
    const dir = temp();
    const long = sources.slice(0, 6).join(' ');
    writeFileSync(join(dir, 'long.es'), `dos seis\n${long}\n`);
    writeFileSync(join(dir, 'long.en'), `six two\n${reverseTranslation(long)}\n`);
    const flags = ['--model', modelDir, '--backend', 'wasm', '--max-source-length', '4'];
    const text = await runCli(['translate-text', '-i', join(dir, 'long.es'), ...flags]);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stderr).to.match(/line 2: its \d+ tokens were translated in \d+ parts of at most 4 /);
    expect(text.stderr).to.not.match(/line 1:/);
    const scored = await runCli([
      'eval',
      '--src',
      join(dir, 'long.es'),
      '--ref',
      join(dir, 'long.en'),
      ...flags,
    ]);
    expect(scored.code, scored.stderr).to.equal(0);
    expect(scored.stderr).to.match(/long\.es:2: its \d+ tokens were translated in \d+ parts of at most 4 /);

    const yaml = [
      'stages:',
      '  - read: { train: { source: long.es, target: long.en }, test: { source: long.es, target: long.en } }',
      `  - loadModel: { path: ${JSON.stringify(modelDir)} }`,
      '  - evaluate: { beam: 1, maxSourceLength: 4 }',
    ].join('\n');
    const logs: string[] = [];
    await runPipeline(parseConfig(yaml, join(dir, 'long.yaml')), {
      backend: 'wasm',
      log: (line) => logs.push(line),
    });
    expect(logs.join('\n')).to.match(
      /evaluate: test line 2: its \d+ tokens were translated in \d+ parts of at most 4 /,
    );
  });

  it('translate-text --n-best prints "i ||| text ||| score" lines, best first', async () => {
    const input = join(temp(), 'nbest.es');
    writeFileSync(input, `${sources.slice(0, 3).join('\n')}\n`);
    const result = await runCli([
      'translate-text',
      '-m',
      modelDir,
      '-i',
      input,
      '--beam',
      '4',
      '--n-best',
      '3',
      '--backend',
      'wasm',
    ]);
    expect(result.code, result.stderr).to.equal(0);
    const rows = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.split(' ||| '));
    expect(rows).to.have.length(9);
    for (let i = 0; i < 3; i++) {
      const group = rows.filter((row) => row[0] === String(i));
      expect(group).to.have.length(3);
      const scores = group.map((row) => Number(row[2]));
      expect(scores).to.deep.equal([...scores].sort((a, b) => b - a));
    }
  });

  it('translate-text with a missing model folder fails with a clear message', async () => {
    const result = await runCli(['translate-text', '--model', join(temp(), 'no-model'), '--backend', 'wasm']);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/checkpoint folder .*no-model does not exist/);
  });

  it('translate-text streams stdin to stdout line by line', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'pipeline/cli.ts',
        'translate-text',
        '--model',
        modelDir,
        '--beam',
        '1',
        '--backend',
        'wasm',
      ],
      {
        cwd: join(import.meta.dirname, '..', '..'),
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const outputs = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    // Each answer arrives before the next line is written: the command does not wait for the end of input.
    const answers: string[] = [];
    for (const line of ['uno dos', 'tres']) {
      child.stdin.write(`${line}\n`);
      const next = await outputs.next();
      expect(next.done, stderr).to.equal(false);
      answers.push(next.value as string);
    }
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).to.equal(0);
    expect(answers).to.deep.equal([reverseTranslation('uno dos'), reverseTranslation('tres')]);
  });

  it('translate-text reads lines as eval does: a lone CR stays in its line, bad UTF-8 is said', async () => {
    const input = join(temp(), 'cr.es');
    const output = join(temp(), 'cr.en');
    const bad = Buffer.from([0x75, 0x6e, 0x6f, 0xe9, 0x0a]); // "uno" + a cp1252 é
    writeFileSync(input, Buffer.concat([Buffer.from('uno\rdos\r\n'), bad, Buffer.from('tres\n')]));
    const result = await runCli([
      'translate-text',
      '-m',
      modelDir,
      '-i',
      input,
      '-o',
      output,
      '--beam',
      '1',
      '--backend',
      'wasm',
    ]);
    expect(result.code, result.stderr).to.equal(0);
    expect(readFileSync(output, 'utf8').split('\n')).to.have.length(4); // 3 lines and the final newline
    expect(result.stderr).to.include(
      `translate-text: ${input}:2: not valid UTF-8; the bad bytes were replaced by U+FFFD`,
    );
    expect(result.stderr).to.include('3 lines translated');
  });

  it('translate-text takes any readable path: /dev/null and a FIFO', async function () {
    const empty = await runCli([
      'translate-text',
      '-m',
      modelDir,
      '-i',
      '/dev/null',
      '--beam',
      '1',
      '--backend',
      'wasm',
    ]);
    expect(empty.code, empty.stderr).to.equal(0);
    expect(empty.stdout).to.equal('');
    expect(empty.stderr).to.include('0 lines translated');
    const fifo = join(temp(), 'fifo');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      this.skip();
    }
    createWriteStream(fifo).end('uno dos\ntres\n');
    const piped = await runCli([
      'translate-text',
      '-m',
      modelDir,
      '-i',
      fifo,
      '--beam',
      '1',
      '--backend',
      'wasm',
    ]);
    expect(piped.code, piped.stderr).to.equal(0);
    expect(piped.stdout).to.equal(`${reverseTranslation('uno dos')}\n${reverseTranslation('tres')}\n`);
  });

  it('translate-text and eval refuse an output that is an input before loading the model', async () => {
    const input = join(temp(), 'same.es');
    writeFileSync(input, 'uno\n');
    const nowhere = join(temp(), 'no-model-here');
    const text = await runCli(['translate-text', '-m', nowhere, '-i', input, '-o', input]);
    expect(text.code).to.equal(1);
    expect(text.stderr).to.match(/same\.es is also an input; refusing to overwrite it/);
    expect(text.stderr).to.not.include('no-model-here');
    const evaluation = await runCli(['eval', '-m', nowhere, '--src', input, '--ref', input, '--out', input]);
    expect(evaluation.code).to.equal(1);
    expect(evaluation.stderr).to.match(/same\.es is also an input; refusing to overwrite it/);
    expect(evaluation.stderr).to.not.include('no-model-here');
    expect(readFileSync(input, 'utf8')).to.equal('uno\n');
  });

  it('translate-text and eval say when a folder on the output path is a file', async () => {
    const input = join(temp(), 'in2.es');
    writeFileSync(input, 'uno\n');
    const afile = join(temp(), 'afile');
    writeFileSync(afile, 'not a folder\n');
    const nowhere = join(temp(), 'no-model-here');
    const text = await runCli(['translate-text', '-m', nowhere, '-i', input, '-o', join(afile, 'out.en')]);
    expect(text.code).to.equal(1);
    expect(text.stderr).to.include(`cannot write ${join(afile, 'out.en')}: ${afile} is a file, not a folder`);
    expect(text.stderr).to.not.include('EEXIST').and.not.include('ENOTDIR');
    const evaluation = await runCli([
      'eval',
      '-m',
      nowhere,
      '--src',
      input,
      '--ref',
      input,
      '--out',
      join(afile, 'sub', 'out.en'),
    ]);
    expect(evaluation.code).to.equal(1);
    expect(evaluation.stderr).to.include(`${afile} is a file, not a folder`);
    expect(readFileSync(afile, 'utf8')).to.equal('not a folder\n');
  });

  it('translate-text ends quietly when the reader of its stdout goes away (| head)', async () => {
    const input = join(temp(), 'many.es');
    writeFileSync(input, `${sources.slice(0, 5).join('\n')}\n`.repeat(40));
    const root = join(import.meta.dirname, '..', '..');
    const child = spawn(
      'bash',
      [
        '-c',
        `node --import tsx pipeline/cli.ts translate-text --model "$1" -n 3 --backend wasm < "$2" | head -n 1; ` +
          'echo "status ${PIPESTATUS[0]}" >&2',
        'bash',
        modelDir,
        input,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    expect(stdout.trimEnd().split('\n')).to.have.length(1);
    expect(stdout).to.match(/^0 \|\|\| /);
    expect(stderr).to.not.match(/EPIPE|Error|\n\s+at /);
    expect(stderr).to.match(/status 0\n$/);
  });

  it('eval prints BLEU and chrF2 with their signatures and writes the hypotheses', async () => {
    const src = join(temp(), 'test.es');
    const ref = join(temp(), 'test.en');
    const hyp = join(temp(), 'test.hyp');
    writeFileSync(src, `${sources.join('\n')}\n`);
    writeFileSync(ref, `${sources.map(reverseTranslation).join('\n')}\n`);
    const result = await runCli([
      'eval',
      '--model',
      modelDir,
      '--src',
      src,
      '--ref',
      ref,
      '--out',
      hyp,
      '--beam',
      '2',
      '--backend',
      'wasm',
    ]);
    expect(result.code, result.stderr).to.equal(0);
    const [bleuLine, chrfLine] = result.stdout.trimEnd().split('\n');
    expect(bleuLine).to.match(
      /^BLEU\|nrefs:1\|case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:2\.4\.3 = \d+\.\d\d$/,
    );
    expect(chrfLine).to.match(
      /^chrF2\|nrefs:1\|case:mixed\|eff:yes\|nc:6\|nw:0\|space:no\|version:2\.4\.3 = \d+\.\d\d$/,
    );
    expect(Number(bleuLine.split(' = ')[1])).to.be.greaterThan(50);
    expect(readFileSync(hyp, 'utf8').split('\n')).to.have.length(sources.length + 1);
  });

  it('eval refuses misaligned files and an output that is an input', async () => {
    const src = join(temp(), 'a.es');
    const ref = join(temp(), 'a.en');
    writeFileSync(src, 'uno\ndos\n');
    writeFileSync(ref, 'one\n');
    const misaligned = await runCli([
      'eval',
      '-m',
      modelDir,
      '--src',
      src,
      '--ref',
      ref,
      '--backend',
      'wasm',
    ]);
    expect(misaligned.code).to.equal(1);
    expect(misaligned.stderr).to.include('2 lines but the reference has 1');
    writeFileSync(ref, 'one\ntwo\n');
    const overwrite = await runCli([
      'eval',
      '-m',
      modelDir,
      '--src',
      src,
      '--ref',
      ref,
      '--out',
      ref,
      '--backend',
      'wasm',
    ]);
    expect(overwrite.code).to.equal(1);
    expect(overwrite.stderr).to.include('refusing to overwrite');
    expect(readFileSync(ref, 'utf8')).to.equal('one\ntwo\n');
  });

  it('the evaluate stage scores the test split of a pipeline and stores the figures', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'train.tsv'), 'uno\tone\n');
    writeFileSync(join(dir, 'test.es'), `${sources.join('\n')}\n`);
    writeFileSync(join(dir, 'test.en'), `${sources.map(reverseTranslation).join('\n')}\n`);
    const yaml = [
      'stages:',
      '  - read: { train: { tsv: train.tsv }, test: { source: test.es, target: test.en } }',
      `  - loadModel: { path: ${JSON.stringify(modelDir)} }`,
      '  - evaluate: { beam: 2, output: eval/test.hyp }',
    ].join('\n');
    const config = parseConfig(yaml, join(dir, 'eval.yaml'));
    const logs: string[] = [];
    const results = await runPipeline(config, { backend: 'wasm', log: (line) => logs.push(line) });
    const figures = results.evaluate as {
      bleu: number;
      chrf: number;
      sentences: number;
      hypothesesFile: string;
    };
    expect(figures.sentences).to.equal(sources.length);
    expect(figures.bleu).to.be.greaterThan(50);
    expect(figures.chrf).to.be.greaterThan(50);
    expect(existsSync(figures.hypothesesFile)).to.equal(true);
    expect(logs.some((line) => line.startsWith('evaluate: BLEU|nrefs:1'))).to.equal(true);
  });

  it('the evaluate stage names a missing split', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'train.tsv'), 'uno\tone\n');
    const yaml = [
      'stages:',
      '  - read: { train: { tsv: train.tsv } }',
      `  - loadModel: { path: ${JSON.stringify(modelDir)} }`,
      '  - evaluate: { split: dev }',
    ].join('\n');
    try {
      await runPipeline(parseConfig(yaml, join(dir, 'missing.yaml')), {
        backend: 'wasm',
        log: () => undefined,
      });
      expect.fail('expected an error');
    } catch (error) {
      expect((error as Error).message).to.include('no dev split');
    }
  });
});
