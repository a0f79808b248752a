import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tinyCheckpoint } from '../operators/tinyCheckpoint.js';

/**
 * Starts `subflow translate-text` as a real child process reading an open stdin pipe, waits until it has
 * translated a line (so it is inside the interruptible part), sends `signal` and resolves with the exit.
 */
async function interruptTranslateText(
  modelDir: string,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'pipeline/cli.ts',
      'translate-text',
      '-m',
      modelDir,
      '--beam',
      '1',
      '--backend',
      'wasm',
    ],
    { cwd: join(import.meta.dirname, '..', '..'), stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('close', () => reject(new Error(`exited before translating: ${stderr}`)));
    child.stdin.write('uno dos\n');
  });
  child.kill(signal);
  const code = await closed;
  return { code, stderr };
}

describe('interrupting the CLI (a real child process)', function () {
  this.timeout(120_000);
  let modelDir = '';
  before(async () => {
    modelDir = await tinyCheckpoint();
  });

  it('exits 143 on SIGTERM, after stopping cleanly', async () => {
    const { code, stderr } = await interruptTranslateText(modelDir, 'SIGTERM');
    expect(stderr).to.include('SIGTERM received, stopping cleanly');
    expect(stderr).to.include('translate-text stopped after 1 lines');
    expect(code, stderr).to.equal(143);
  });

  it('exits 130 on SIGINT (Ctrl-C)', async () => {
    const { code, stderr } = await interruptTranslateText(modelDir, 'SIGINT');
    expect(stderr).to.include('SIGINT received, stopping cleanly');
    expect(code, stderr).to.equal(130);
  });
});
