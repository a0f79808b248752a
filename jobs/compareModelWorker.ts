// Child process of compareModels: measures one model and prints { result } or { error } as the last
// JSON line on stdout, so the parent's peak-RSS figure is this model's alone.
import { isSubflowError } from '../errors.js';
import { readLines } from '../text/lines.js';
import { measureModel, type CompareOptions } from './compareModels.js';

async function readAll(file: string, limit?: number): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of readLines(file)) {
    if (limit !== undefined && lines.length >= limit) break;
    lines.push(line.text);
  }
  return lines;
}

const { dir, ...options } = JSON.parse(process.argv[2]) as CompareOptions & { dir: string };
try {
  const [sources, references] = await Promise.all([
    readAll(options.src, options.limit),
    readAll(options.ref, options.limit),
  ]);
  const result = await measureModel(dir, sources, references, options);
  process.stdout.write(`${JSON.stringify({ result })}\n`);
} catch (error) {
  if (!isSubflowError(error)) throw error;
  const { code, message, hint, file } = error;
  process.stdout.write(`${JSON.stringify({ error: { code, message, hint, file } })}\n`);
  process.exitCode = 1;
}
