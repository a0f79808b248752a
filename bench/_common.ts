import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';

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
