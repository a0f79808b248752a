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
    // Batching never waits for a lone request, so what keeps requests accepted but unanswered when
    // SIGTERM arrives is a busy decoder: a first request of 256 long texts decodes in several internal
    // batches (the server takes new connections between them), and requests sent after it queue.
    const { child, url, stderr } = await startServe(['-q'], {
      SUBFLOW_PORT: '0',
      SUBFLOW_MAX_BATCH_TOKENS: '100000',
    });
    const exited = once(child, 'exit');
    const post = (texts: string[]) =>
      fetch(`${url}/v1/translate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ texts, beam: 1 }),
      }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { translations: { text: string }[] },
      }));
    try {
      const long = Array.from({ length: 256 }, (_, k) =>
        Array.from({ length: 6 }, (_, j) => SPANISH[(k + j) % SPANISH.length]).join(' '),
      );
      const clients = [
        long,
        ...Array.from({ length: 15 }, (_, k) => [
          SPANISH[k % SPANISH.length],
          SPANISH[(k + 3) % SPANISH.length],
        ]),
      ];
      const first = post(clients[0]);
      await waitForMetric(url, /^subflow_requests_in_flight 1$/m);
      const answers = Promise.allSettled([first, ...clients.slice(1).map(post)]);
      // The long one and at least one more held (the server says so in its metrics: no timing margin).
      await waitForMetric(url, /^subflow_requests_in_flight (\d{2,}|[2-9])$/m);
      child.kill('SIGTERM');
      const [code] = await exited;
      const model = await loadModel();
      try {
        const results = await answers;
        let answered = 0;
        for (const [k, result] of results.entries()) {
          // Sent after SIGTERM: refused (connection closed, or 503 on a kept-alive one), never half-done.
          if (result.status === 'rejected' || result.value.status === 503) continue;
          expect(result.value.status).to.equal(200);
          const expected = await translateSentences(model, clients[k], { beam: 1 });
          expect(result.value.body.translations.map((t) => t.text)).to.deep.equal(
            expected.map((t) => t.text),
          );
          answered += 1;
        }
        expect(results[0].status).to.equal('fulfilled');
        expect(answered).to.be.at.least(2);
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

/** Polls the server's Prometheus text until a line matches. */
async function waitForMetric(url: string, line: RegExp): Promise<void> {
  for (;;) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    if (line.test(metrics)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
