import * as tf from '@tensorflow/tfjs';
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { loadNativeAddon } from '../model/kernels/nativeAddon.js';

/** Prints one benchmark figure as a JSON line on stdout, with the machine it ran on. */
export function printFigure(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...figure, cores: cpus().length, node: process.version })}\n`);
}

/** Peak resident set size of this process so far, in MB (from /proc, which reports the high-water mark). */
export function peakRssMb(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (match) return Math.round(Number(match[1]) / 1024);
  } catch {
    // not Linux: fall back to the current RSS
  }
  return Math.round(process.memoryUsage().rss / 2 ** 20);
}

/**
 * Prints tf.profile's kernels summed by name, slowest first, on stderr. Op scopes ("unnamed scope",
 * "…__op") contain the kernels they ran, so their times overlap the kernels' own.
 */
export function printKernelTotals(
  title: string,
  kernels: readonly { name: string; kernelTimeMs: unknown }[],
): void {
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const kernel of kernels) {
    const entry = byKernel.get(kernel.name) ?? { ms: 0, calls: 0 };
    entry.ms += Number(kernel.kernelTimeMs) || 0;
    entry.calls += 1;
    byKernel.set(kernel.name, entry);
  }
  process.stderr.write(`${title}: ${kernels.length} kernels\n`);
  for (const [name, { ms, calls }] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    process.stderr.write(
      `${name.padEnd(24)} ${ms.toFixed(1).padStart(8)} ms ${String(calls).padStart(6)} calls\n`,
    );
  }
}

/** Size of the wasm backend's heap in MB (it grows to the peak and never shrinks), or undefined on other backends. */
export function wasmHeapMb(): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? Math.round(heap.byteLength / 2 ** 20) : undefined;
}

/** The OpenBLAS kernel family the native matmuls run on (e.g. "SkylakeX"), or undefined without them. */
export function openblasCore(): string | undefined {
  const { addon, status } = loadNativeAddon();
  return addon && status.available ? addon.info().core : undefined;
}
