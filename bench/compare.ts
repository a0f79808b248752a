// `npm run bench -- compare`: runs the project's training benchmark and the PyTorch peer
// (`../shared/peers/nmt_peer.py bench-train`, same shape: ref-small, 64 × 20 → 20, vocab 8000)
// one after the other, each in a fresh process, and prints one JSON line per run with the peer's
// figure and the ratio, then one line with the medians. Flags: --runs N (default 1), --backend
// NAME and --workers N (passed to bench/train.ts), --iters N (timed steps of both). The machine
// is shared: look at own_cores / foreign_cores of both sides before trusting a ratio.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printFigure } from './_common.js';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'auto' },
    iters: { type: 'string', default: '20' },
    workers: { type: 'string', default: '1' },
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
const ours: number[] = [];
const peers: number[] = [];
for (let run = 0; run < Number(flags.runs); run++) {
  const peer = lastJsonLine(python, ['nmt_peer.py', 'bench-train', '--iters', flags.iters], peerDir);
  const own = lastJsonLine(
    process.execPath,
    [
      ...['--import', 'tsx', join(benchDir, 'train.ts')],
      ...['--backend', flags.backend, '--iters', flags.iters, '--workers', flags.workers],
    ],
    join(benchDir, '..'),
  );
  const peerTokens = Number(peer.train_tokens_per_sec);
  const ownTokens = Number(own.tokens_per_second);
  ours.push(ownTokens);
  peers.push(peerTokens);
  printFigure({
    ...own,
    run: run + 1,
    peer: peerTokens,
    ratio: Number((ownTokens / peerTokens).toFixed(3)),
    peer_ms_per_step: peer.ms_per_step,
    peer_peak_rss_mb: peer.peak_rss_mb,
    peer_own_cores: peer.own_cores,
    peer_foreign_cores: peer.foreign_cores,
  });
}
if (ours.length > 1) {
  printFigure({
    bench: 'train',
    summary: 'median',
    runs: ours.length,
    tokens_per_second: median(ours),
    peer: median(peers),
    ratio: Number((median(ours) / median(peers)).toFixed(3)),
  });
}
