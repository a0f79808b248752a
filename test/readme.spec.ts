// Every shell and TypeScript example of README.md, run in order, as a reader would, from an empty
// folder outside the checkout. The README marks blocks with HTML comments (invisible on GitHub):
//   <!-- file: NAME -->      the next block is a file the reader has: written to NAME before anything runs
//   <!-- output -->          the next block must be the end of what the block before it printed
//   <!-- not run: why -->    the next block is only checked: bash syntax, and the configs, npm scripts and
//                            files it names must exist (and configs validate)
// The folder holds what the examples assume a reader has: `subflow` on PATH (the checkout's CLI),
// `import 'subflow'` resolving to the checkout, the corpora, configs and models of a clone, and
// movie.mkv, a video with a Spanish subtitle track (the README's episode.es.srt).
import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../pipeline/config.js';
import { checkStageOrder } from '../pipeline/runner.js';
import '../pipeline/stages/index.js';

const root = join(import.meta.dirname, '..');
const tsxLoader = join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs');

/** One fenced block of the README with the marker comment just before it, if any. */
export interface ReadmeBlock {
  language: string;
  body: string;
  line: number;
  marker?: { kind: 'file' | 'output' | 'not run'; value: string };
}

/** The fenced blocks of a markdown text, in order. */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  const lines = markdown.split('\n');
  let marker: ReadmeBlock['marker'];
  for (let i = 0; i < lines.length; i++) {
    const comment = /^<!-- (file|output|not run)(?::\s*(.*?))? -->$/.exec(lines[i]);
    if (comment) {
      marker = { kind: comment[1] as 'file' | 'output' | 'not run', value: comment[2] ?? '' };
      continue;
    }
    const fence = /^```(\w*)/.exec(lines[i]);
    if (!fence) {
      if (lines[i].trim() !== '') marker = undefined;
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    blocks.push({ language: fence[1], body: `${body.join('\n')}\n`, line: start + 1, marker });
    marker = undefined;
  }
  return blocks;
}

/** Output compared line by line without trailing spaces; the README shows the end of what was printed. */
const normalise = (text: string): string =>
  text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim();

function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Checks a block that is not run: its syntax, and that what it names exists. */
async function validate(block: ReadmeBlock): Promise<void> {
  if (block.language === 'sh') await promisify(execFile)('bash', ['-n', '-c', block.body]);
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: object })
    .scripts;
  for (const [, script] of block.body.matchAll(/npm (?:run|test)\s*([\w:-]*)/g)) {
    if (script) expect(scripts, `npm run ${script}`).to.have.property(script);
  }
  for (const [, file] of block.body.matchAll(/\bbash ((?:scripts|\.ci)\/[\w./-]+)/g)) {
    expect(existsSync(join(root, file)), file).to.equal(true);
  }
  for (const [, file] of block.body.matchAll(/subflow run (config\/[\w.-]+\.yaml)/g)) {
    checkStageOrder(await loadConfig(join(root, file)));
  }
}

describe('README: every example runs as written', function () {
  this.timeout(600_000);
  const blocks = readmeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  let last = { stdout: '', line: 0 };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'subflow-readme-'));
    const bin = join(dir, '.bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'subflow'),
      `#!/bin/sh\nexec node --import "${tsxLoader}" "${join(root, 'pipeline', 'cli.ts')}" "$@"\n`,
    );
    chmodSync(join(bin, 'subflow'), 0o755);
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    // What a clone has; models/ is copied because an example exports a model into it.
    symlinkSync(join(root, 'corpora'), join(dir, 'corpora'));
    symlinkSync(join(root, 'config'), join(dir, 'config'));
    cpSync(join(root, 'models'), join(dir, 'models'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'subflow'));
    symlinkSync(join(root, 'node_modules', 'rxjs'), join(dir, 'node_modules', 'rxjs'));
    // movie.mkv: 12 s of test pattern and tone with the README's episode.es.srt as a Spanish track.
    const srt = blocks.find((block) => block.marker?.value === 'episode.es.srt');
    writeFileSync(join(dir, 'movie.spa.srt'), srt!.body);
    // prettier-ignore
    await promisify(execFile)('ffmpeg', [
      '-nostdin', '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10:duration=12',
      '-f', 'lavfi', '-i', 'sine=frequency=440:duration=12',
      '-i', 'movie.spa.srt', '-map', '0', '-map', '1', '-map', '2',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-c:s', 'srt',
      '-metadata:s:s:0', 'language=spa', '-metadata:s:s:0', 'title=Español', 'movie.mkv',
    ], { cwd: dir });
    for (const block of blocks.filter((b) => b.marker?.kind === 'file')) {
      writeFileSync(join(dir, block.marker!.value), block.body);
    }
    mkdirSync(join(dir, 'Season1'));
    cpSync(join(dir, 'movie.mkv'), join(dir, 'Season1', 'e01.mkv'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has runnable shell and TypeScript examples and stays under ~2,000 words', () => {
    const text = readFileSync(join(root, 'README.md'), 'utf8');
    expect(text.split(/\s+/).filter(Boolean).length).to.be.below(2100);
    const runnable = blocks.filter((b) => ['sh', 'ts'].includes(b.language) && b.marker?.kind !== 'not run');
    expect(runnable.length).to.be.greaterThan(5);
  });

  for (const block of blocks) {
    const where = `README.md:${block.line}`;
    if (block.marker?.kind === 'file') continue;
    if (block.marker?.kind === 'output') {
      it(`${where}: the block above printed this`, () => {
        expect(normalise(last.stdout).endsWith(normalise(block.body)), `output of README.md:${last.line}`).to
          .be.true;
      });
    } else if (block.marker?.kind === 'not run') {
      it(`${where}: not run (${block.marker.value}); checked`, async () => validate(block));
    } else if (block.language === 'sh') {
      it(`${where}: runs`, async () => {
        const result = await run('bash', ['-e', '-o', 'pipefail', '-c', block.body], dir, env);
        expect(result.code, `${block.body}\n${result.stderr}`).to.equal(0);
        last = { stdout: result.stdout, line: block.line };
      });
    } else if (block.language === 'ts') {
      it(`${where}: runs`, async () => {
        const file = join(dir, `example-${block.line}.ts`);
        writeFileSync(file, block.body);
        const args = ['--import', tsxLoader, '--conditions=subflow-source', file];
        const result = await run(process.execPath, args, dir, env);
        expect(result.code, result.stderr).to.equal(0);
        last = { stdout: result.stdout, line: block.line };
      });
    }
  }
});
