// `npm run bench -- compare`: runs the project's benchmarks and the PyTorch peer's
// (`../shared/peers/nmt_peer.py`, same shapes: ref-small, vocab 8000) one after the other, each
// in a fresh process, and prints one JSON line per figure with the peer's figure and the ratio:
// training target tokens/s (64 × 20 → 20), decoding sentences/s at beam 5 and greedy (32 × 20,
// 30 steps), each with both peak RSS figures; with --runs N > 1, then one line of medians per
// figure (speeds and peak RSS of both). Flags: --runs N (default 1), --backend NAME, --only
// train|decode (default both), --iters N (timed training steps of both). The machine may be
// shared: look at own_cores / foreign_cores of both sides before trusting a ratio.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_BACKEND } from '../model/backend.js';
import { printFigure } from './_common.js';

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
function lastJsonLine(command: string, args: string[], cwd: string): Record<string, unknown> {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
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
}

const FIGURES: Figure[] = [
  {
    bench: 'train',
    field: 'tokens_per_second',
    ours: ['train.ts', '--backend', flags.backend, '--iters', flags.iters],
    ownField: 'tokens_per_second',
    peer: ['bench-train', '--iters', flags.iters],
    peerField: 'train_tokens_per_sec',
  },
  ...(['beam', 'greedy'] as const).map((variant) => ({
    bench: 'decode',
    variant: variant === 'beam' ? 'beam5' : 'greedy',
    field: 'sentences_per_second',
    ours: ['decode.ts', '--backend', flags.backend, '--variant', variant],
    ownField: 'sentences_per_second',
    peer: ['bench-decode', '--variant', variant],
    peerField: 'sentences_per_sec',
  })),
].filter((figure) => flags.only === '' || figure.bench === flags.only);

const collected = new Map<Figure, { ours: number[]; peers: number[]; ourRss: number[]; peerRss: number[] }>();
for (let run = 0; run < Number(flags.runs); run++) {
  for (const figure of FIGURES) {
    const peer = lastJsonLine(python, ['nmt_peer.py', ...figure.peer], peerDir);
    const own = lastJsonLine(
      process.execPath,
      ['--import', 'tsx', join(benchDir, figure.ours[0]), ...figure.ours.slice(1)],
      join(benchDir, '..'),
    );
    const ownValue = Number(own[figure.ownField]);
    const peerValue = Number(peer[figure.peerField]);
    const values = collected.get(figure) ?? { ours: [], peers: [], ourRss: [], peerRss: [] };
    values.ours.push(ownValue);
    values.peers.push(peerValue);
    values.ourRss.push(Number(own.peak_rss_mb));
    values.peerRss.push(Number(peer.peak_rss_mb));
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
    });
  }
}
if (Number(flags.runs) > 1) {
  for (const [figure, { ours, peers, ourRss, peerRss }] of collected) {
    printFigure({
      bench: figure.bench,
      ...(figure.variant ? { variant: figure.variant } : {}),
      summary: 'median',
      runs: ours.length,
      [figure.field]: median(ours),
      peer: median(peers),
      ratio: Number((median(ours) / median(peers)).toFixed(3)),
      peak_rss_mb: median(ourRss),
      peer_peak_rss_mb: median(peerRss),
      rss_ratio: Number((median(ourRss) / median(peerRss)).toFixed(3)),
    });
  }
}
