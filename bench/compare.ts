// `npm run bench -- compare`: runs the project's benchmarks and the PyTorch peer's
// (`../shared/peers/nmt_peer.py`, same shapes: ref-small, vocab 8000) one after the other, each
// in a fresh process, and prints one JSON line per figure with the peer's figure and the ratio:
// training target tokens/s (64 × 20 → 20), decoding sentences/s at beam 5 and greedy (32 × 20,
// 30 steps), each with both peak RSS figures; with --runs N > 1, then one line of medians per
// figure (speeds and peak RSS of both). Flags: --runs N (default 1), --backend NAME, --only
// train|decode (default both), --iters N (timed training steps of both). The machine may be
// shared: look at own_cores / foreign_cores of both sides before trusting a ratio.
//
// Both sides run on the same OpenBLAS kernels: each run first measures the machine's limit
// (limit.ts: OpenBLAS sgemm GFLOPS on all cores at ref-small's largest product, with the kernel
// family subflow chose), and the peer's process gets that family as OPENBLAS_CORETYPE. Every line
// names the family (openblas_core) and gives both sides' FLOP rates (gflops, peer_gflops, counted
// analytically by _flops.ts) as a share of the limit.
//
// subflow's side runs as users run it: compiled JavaScript (tsconfig.bench.json builds train.ts,
// decode.ts, limit.ts and what they import into .bench-build/ first, as `npm pack` builds dist/),
// not through tsx, whose TypeScript loader thread added 50–60 MB to every process's peak RSS.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { REF_SMALL } from '../model/config.js';
import { DEFAULT_BACKEND } from '../model/backend.js';
import { printFigure } from './_common.js';
import { decodeBatchFlops, trainStepFlops } from './_flops.js';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    backend: { type: 'string', default: DEFAULT_BACKEND },
    iters: { type: 'string', default: '20' },
    only: { type: 'string', default: '' },
  },
});

const benchDir = dirname(fileURLToPath(import.meta.url));
const peerDir = join(benchDir, '..', '..', 'shared', 'peers');
const python = '/usr/bin/python3';

/** Runs a command and returns the last JSON line it printed on stdout. */
function lastJsonLine(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, unknown> {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  const line = (result.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (result.status !== 0 || !line) {
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${result.status}): ${(result.stderr ?? '').slice(-2000)}`,
    );
  }
  return JSON.parse(line) as Record<string, unknown>;
}

/** Compiles the benchmarks (tsconfig.bench.json) and returns the folder of their JavaScript. */
function buildBenchmarks(): string {
  const root = join(benchDir, '..');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.bench.json')], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(
      `compare: compiling the benchmarks failed: ${result.stdout}${result.stderr}`.slice(0, 4000),
    );
  }
  return join(root, '.bench-build', 'bench');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

if (!existsSync(join(peerDir, 'nmt_peer.py'))) {
  process.stderr.write(`compare: the peer is missing at ${peerDir}\n`);
  process.exit(2);
}
/** One compared figure: how to run each side and which field of their JSON line to compare. */
interface Figure {
  bench: string;
  variant?: string;
  field: string;
  ours: string[];
  ownField: string;
  peer: string[];
  peerField: string;
  /** Floating-point operations per unit of the figure (per token trained, per sentence decoded), from our JSON line. */
  flopsPerUnit(line: Record<string, unknown>): number;
}

const trainFlopsPerToken = (line: Record<string, unknown>): number => {
  const [batch, srcLen, tgtLen] = [line.batch_size, line.src_len, line.tgt_len].map(Number);
  return trainStepFlops(REF_SMALL, batch, srcLen, tgtLen) / (batch * tgtLen);
};
const decodeFlopsPerSentence = (line: Record<string, unknown>): number => {
  const [batch, srcLen, steps, beam] = [line.batch_size, line.src_len, line.steps, line.beam].map(Number);
  return decodeBatchFlops(REF_SMALL, batch, srcLen, steps, beam) / batch;
};

const FIGURES: Figure[] = [
  {
    bench: 'train',
    field: 'tokens_per_second',
    ours: ['train.js', '--backend', flags.backend, '--iters', flags.iters],
    ownField: 'tokens_per_second',
    peer: ['bench-train', '--iters', flags.iters],
    peerField: 'train_tokens_per_sec',
    flopsPerUnit: trainFlopsPerToken,
  },
  ...(['beam', 'greedy'] as const).map((variant) => ({
    bench: 'decode',
    variant: variant === 'beam' ? 'beam5' : 'greedy',
    field: 'sentences_per_second',
    ours: ['decode.js', '--backend', flags.backend, '--variant', variant],
    ownField: 'sentences_per_second',
    peer: ['bench-decode', '--variant', variant],
    peerField: 'sentences_per_sec',
    flopsPerUnit: decodeFlopsPerSentence,
  })),
].filter((figure) => flags.only === '' || figure.bench === flags.only);

/** Per figure, every run's values of both sides. */
interface Collected {
  ours: number[];
  peers: number[];
  ourRss: number[];
  peerRss: number[];
  ourShare: number[];
  peerShare: number[];
}

const gflops = (value: number): number => Number((value / 1e9).toFixed(1));
const compiledDir = buildBenchmarks();
const collected = new Map<Figure, Collected>();
const limits: number[] = [];
let core = '';
for (let run = 0; run < Number(flags.runs); run++) {
  const limit = lastJsonLine(process.execPath, [join(compiledDir, 'limit.js')], join(benchDir, '..'));
  const limitGflops = Number(limit.gflops);
  limits.push(limitGflops);
  core = String(limit.openblas_core);
  printFigure({ ...limit, run: run + 1 });
  // The peer's torch uses the system OpenBLAS, which takes its kernel family from this variable;
  // it also gets the idle-thread timeout subflow's OpenBLAS runs with (native/src/blas_load.c),
  // which gave the peer 1,261 against 1,202 tokens/s (one run each), so no side is handicapped.
  const peerEnv = {
    ...process.env,
    OPENBLAS_CORETYPE: core,
    OPENBLAS_THREAD_TIMEOUT: process.env.OPENBLAS_THREAD_TIMEOUT ?? '4',
  };
  for (const figure of FIGURES) {
    const peer = lastJsonLine(python, ['nmt_peer.py', ...figure.peer], peerDir, peerEnv);
    const own = lastJsonLine(
      process.execPath,
      [join(compiledDir, figure.ours[0]), ...figure.ours.slice(1)],
      join(benchDir, '..'),
    );
    if (own.openblas_core !== core) {
      process.stderr.write(`compare: subflow ran ${String(own.openblas_core)} kernels, the limit ${core}\n`);
    }
    const ownValue = Number(own[figure.ownField]);
    const peerValue = Number(peer[figure.peerField]);
    const flopsPerUnit = figure.flopsPerUnit(own);
    const ownGflops = gflops(ownValue * flopsPerUnit);
    const peerGflops = gflops(peerValue * flopsPerUnit);
    const values = collected.get(figure) ?? {
      ours: [],
      peers: [],
      ourRss: [],
      peerRss: [],
      ourShare: [],
      peerShare: [],
    };
    values.ours.push(ownValue);
    values.peers.push(peerValue);
    values.ourRss.push(Number(own.peak_rss_mb));
    values.peerRss.push(Number(peer.peak_rss_mb));
    values.ourShare.push(ownGflops / limitGflops);
    values.peerShare.push(peerGflops / limitGflops);
    collected.set(figure, values);
    printFigure({
      ...own,
      run: run + 1,
      figure: figure.field,
      peer: peerValue,
      ratio: Number((ownValue / peerValue).toFixed(3)),
      peer_peak_rss_mb: peer.peak_rss_mb,
      rss_ratio: Number((Number(own.peak_rss_mb) / Number(peer.peak_rss_mb)).toFixed(3)),
      peer_own_cores: peer.own_cores,
      peer_foreign_cores: peer.foreign_cores,
      openblas_core: core,
      gflops: ownGflops,
      peer_gflops: peerGflops,
      limit_gflops: limitGflops,
      share_of_limit: Number((ownGflops / limitGflops).toFixed(3)),
      peer_share_of_limit: Number((peerGflops / limitGflops).toFixed(3)),
    });
  }
}
if (Number(flags.runs) > 1) {
  for (const [figure, { ours, peers, ourRss, peerRss, ourShare, peerShare }] of collected) {
    printFigure({
      bench: figure.bench,
      ...(figure.variant ? { variant: figure.variant } : {}),
      summary: 'median',
      runs: ours.length,
      openblas_core: core,
      [figure.field]: median(ours),
      peer: median(peers),
      ratio: Number((median(ours) / median(peers)).toFixed(3)),
      peak_rss_mb: median(ourRss),
      peer_peak_rss_mb: median(peerRss),
      rss_ratio: Number((median(ourRss) / median(peerRss)).toFixed(3)),
      limit_gflops: median(limits),
      share_of_limit: Number(median(ourShare).toFixed(3)),
      peer_share_of_limit: Number(median(peerShare).toFixed(3)),
    });
  }
}
