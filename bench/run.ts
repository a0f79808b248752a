// `npm run bench [-- NAME…]`: runs each benchmark in its own process (so peak RSS is its own) and
// passes its JSON lines through. `compare` runs the PyTorch peer too and adds ratios.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(benchDir)
  .filter((file) => file.endsWith('.ts') && !['run.ts', 'compare.ts'].includes(file) && !file.startsWith('_'))
  .map((file) => file.replace(/\.ts$/, ''))
  .sort();

const [first, ...rest] = process.argv.slice(2);
const names = first ? [first] : available;
const unknown = names.filter((name) => name !== 'compare' && !available.includes(name));
if (unknown.length) {
  process.stderr.write(
    `bench: unknown benchmark ${unknown.join(', ')}; available: ${[...available, 'compare'].join(', ')}\n`,
  );
  process.exit(2);
}
let failed = 0;
for (const name of names) {
  process.stderr.write(`bench: ${name}\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, `${name}.ts`), ...rest], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
