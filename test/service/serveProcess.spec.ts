import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { loadModel } from '../../model/translationModel.js';
import { translateSentences } from '../../model/translateSentences.js';
import { runCli } from '../helpers/runCli.js';
import { SPANISH } from './spanish.js';

/** Starts `subflow serve` as a child process; resolves with its URL once it listens. */
async function startServe(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=subflow-source', 'pipeline/cli.ts', 'serve', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code} before listening:\n${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

describe('service: the subflow serve process', function () {
  this.timeout(300_000);

  it('on SIGTERM under load stops accepting, answers every accepted request and exits 0', async () => {
    // A long batching wait keeps the accepted requests queued until SIGTERM has arrived.
    const { child, url, stderr } = await startServe(['-q'], {
      SUBFLOW_PORT: '0',
      SUBFLOW_MAX_WAIT_MS: '1500',
      SUBFLOW_MAX_BATCH_TOKENS: '100000',
    });
    const exited = once(child, 'exit');
    try {
      const clients = Array.from({ length: 16 }, (_, k) => [
        SPANISH[k % SPANISH.length],
        SPANISH[(k + 3) % SPANISH.length],
      ]);
      const answers = clients.map((texts) =>
        fetch(`${url}/v1/translate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ texts, beam: 1 }),
        }).then(async (response) => ({
          status: response.status,
          body: (await response.json()) as { translations: { text: string }[] },
        })),
      );
      // Wait until the server holds all 16 (no timing margin: it says so in its metrics).
      for (;;) {
        const metrics = await (await fetch(`${url}/metrics`)).text();
        if (/^subflow_requests_in_flight 16$/m.test(metrics)) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.kill('SIGTERM');
      const [code] = await exited;
      const model = await loadModel();
      try {
        const results = await Promise.all(answers);
        for (const [k, result] of results.entries()) {
          expect(result.status).to.equal(200);
          const expected = await translateSentences(model, clients[k], { beam: 1 });
          expect(result.body.translations.map((t) => t.text)).to.deep.equal(expected.map((t) => t.text));
        }
      } finally {
        model.dispose();
      }
      expect(code, stderr()).to.equal(0);
      expect(stderr()).to.include('serve: stopped');
      const late = await fetch(`${url}/health`).then(
        (response) => response.status,
        () => 'refused',
      );
      expect(late).to.equal('refused');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses a bad API keys file before loading anything', async () => {
    const result = await runCli(['serve', '--api-keys', '/nonexistent/keys']);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('API keys file /nonexistent/keys');
  });
});
