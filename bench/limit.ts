// The machine's limit for ref-small: single-precision GEMM throughput of OpenBLAS (the kernel
// family subflow chose, all its threads) at the model's largest product, the output layer
// [batch·tgtLen, attentionalUnits]·[attentionalUnits, vocab] (1280×512 by 512×8000 for the
// training benchmark's 64 × 20 batch). `compare` divides subflow's and the peer's FLOP rates by it.
// Flags: --seconds S (timed products, default 3), --m, --n, --k (the product's sizes).
import { parseArgs } from 'node:util';
import { REF_SMALL } from '../model/config.js';
import { loadNativeAddon } from '../model/kernels/nativeAddon.js';
import { printFigure } from './_common.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    m: { type: 'string', default: String(64 * 20) },
    n: { type: 'string', default: String(REF_SMALL.tgtVocab) },
    k: { type: 'string', default: String(REF_SMALL.attentionalUnits) },
  },
});
const [m, n, k] = [Number(flags.m), Number(flags.n), Number(flags.k)];

const { addon, status } = loadNativeAddon();
if (!addon || !status.available) {
  process.stderr.write(`bench limit: no OpenBLAS (${status.description})\n`);
  process.exit(1);
}
process.stderr.write(`bench limit: ${status.description}\n`);
const a = Float32Array.from({ length: m * k }, (_, i) => ((i % 13) - 6) / 64);
const b = Float32Array.from({ length: k * n }, (_, i) => ((i % 7) - 3) / 64);
const c = new Float32Array(m * n);
const product = (): void => addon.gemm(a, b, c, 1, m, n, k, false, false, 0, 0, null, 0);
product(); // warm-up: thread pool start, page faults on c

const rates: number[] = [];
const cpuBefore = process.cpuUsage();
const started = performance.now();
while (performance.now() - started < Number(flags.seconds) * 1000) {
  const begin = performance.now();
  product();
  rates.push((2 * m * n * k) / ((performance.now() - begin) / 1000) / 1e9);
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const sorted = [...rates].sort((x, y) => x - y);
printFigure({
  bench: 'limit',
  openblas_core: addon.info().core,
  openblas: status.description,
  shape: [m, n, k],
  // The best product is the estimate of what the machine can do; the median shows how much other
  // work on a shared machine took from it.
  gflops: Number(sorted[sorted.length - 1].toFixed(1)),
  gflops_median: Number(sorted[Math.floor(sorted.length / 2)].toFixed(1)),
  products: rates.length,
  threads: addon.info().threads,
  own_cores: Number(((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2)),
});
