// Throughput and latency of `subflow serve` with the bundled model: closed-loop clients on loopback
// (1, 8 and 64 at once) each send single sentences from the Bible test split to POST /v1/translate
// until --requests have been answered; the same with batching off (--max-batch-tokens 0), and the
// offline figures over the same sentences for comparison: `subflow eval` in its own process, as a user
// runs it (its sentences/s include the first, slower batches of a fresh process), and translateSentences
// again in this warm process (both sort the sentences by length before batching). One JSON line per
// point: sentences/s, p50/p99 latency, mean batch size, peak RSS of the server process (the clients run
// in a child process, bench/_serveClients.ts), and the server's CPU milliseconds per sentence: on a
// shared, loaded machine wall-clock figures follow the load, CPU time per sentence much less so.
// Flags: --requests N (1,000 per point: the whole test split), --beam K (1: greedy, as `subflow eval` offline), --clients 1,8,64,
// --max-wait-ms MS and --max-batch-tokens N (the batching-on settings; defaults: the server's), --rounds N
// (the whole set N times; a last line gives the medians of the ratios at the most clients).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { loadModel } from '../model/translationModel.js';
import { translateSentences } from '../model/translateSentences.js';
import { createServer } from '../service/createServer.js';
import { servedModel } from '../service/modelCatalog.js';
import { SERVICE_DEFAULTS, serviceSettings } from '../service/serviceSettings.js';
import { peakRssMb, printFigure } from './_common.js';

const { values: flags } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '1' },
    beam: { type: 'string', default: '1' },
    clients: { type: 'string', default: '1,8,64' },
    'max-wait-ms': { type: 'string', default: String(SERVICE_DEFAULTS.maxWaitMs) },
    'max-batch-tokens': { type: 'string', default: String(SERVICE_DEFAULTS.maxBatchTokens) },
  },
});
const benchDir = dirname(fileURLToPath(import.meta.url));
const requests = Number(flags.requests);
const beam = Number(flags.beam);
const clientCounts = flags.clients.split(',').map(Number);

const readLines = (file: string) =>
  gunzipSync(readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, requests);
const sentences = readLines('corpora/bible-es-en/test.es.gz');
const work = mkdtempSync(join(tmpdir(), 'subflow-bench-serve-'));
writeFileSync(join(work, 'src'), sentences.join('\n') + '\n');
writeFileSync(join(work, 'ref'), readLines('corpora/bible-es-en/test.en.gz').join('\n') + '\n');
const model = await loadModel();
const served = servedModel('bible-es-en', model);

/** Runs `node --import tsx ARGS…` with `input` on its stdin; resolves with its stdout parsed as JSON. */
function runTsx<T>(args: string[], input?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`${args[0]} exited with ${code}`)),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Runs the clients in a child process (bench/_serveClients.ts) while this process serves. */
const runClients = (url: string, clients: number) =>
  runTsx<{ seconds: number; latencies: number[]; cpuMs: number }>(
    [join(benchDir, '_serveClients.ts'), url, String(clients)],
    JSON.stringify(sentences),
  );

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/** Measures one load point and prints it; returns its sentences/s. */
async function point(batching: 'on' | 'off', clients: number): Promise<number> {
  const settings = serviceSettings({
    log: false,
    beam,
    maxWaitMs: Number(flags['max-wait-ms']),
    maxBatchTokens: batching === 'on' ? Number(flags['max-batch-tokens']) : 0,
    limits: { maxQueuedSentences: 100_000, maxInFlight: 10_000 },
  });
  const server = await createServer([served], settings);
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}/v1/translate`;
  const cpuBefore = process.cpuUsage();
  const { seconds, latencies, cpuMs: clientCpuMs } = await runClients(url, clients);
  const cpu = process.cpuUsage(cpuBefore);
  const batches = (await server.metrics.batchSentences.get()).values;
  const sum = batches.find((v) => v.metricName === 'subflow_batch_sentences_sum')?.value ?? 0;
  const count = batches.find((v) => v.metricName === 'subflow_batch_sentences_count')?.value ?? 1;
  await server.app.close();
  latencies.sort((a, b) => a - b);
  const sentencesPerSecond = Number((latencies.length / seconds).toFixed(1));
  printFigure({
    bench: 'serve',
    batching,
    clients,
    beam,
    requests: latencies.length,
    sentences_per_second: sentencesPerSecond,
    p50_ms: Math.round(percentile(latencies, 0.5)),
    p99_ms: Math.round(percentile(latencies, 0.99)),
    mean_batch_size: Number((sum / count).toFixed(2)),
    server_cpu_ms_per_sentence: Number(((cpu.user + cpu.system) / 1000 / latencies.length).toFixed(1)),
    client_cpu_ms_per_sentence: Number((clientCpuMs / latencies.length).toFixed(1)),
    max_batch_tokens: settings.maxBatchTokens,
    max_wait_ms: settings.maxWaitMs,
    peak_rss_mb: peakRssMb(),
    backend: model.backend.name,
  });
  return sentencesPerSecond;
}

// Offline: the same sentences through translateSentences at once (what `subflow eval` does).
async function offline(): Promise<number> {
  const offlineStart = performance.now();
  const offlineCpu = process.cpuUsage();
  await translateSentences(model, sentences, { beam });
  const offlineCpuUsed = process.cpuUsage(offlineCpu);
  const sentencesPerSecond = Number(
    (sentences.length / ((performance.now() - offlineStart) / 1000)).toFixed(1),
  );
  printFigure({
    bench: 'serve',
    offline: true,
    beam,
    sentences: sentences.length,
    sentences_per_second: sentencesPerSecond,
    cpu_ms_per_sentence: Number(
      ((offlineCpuUsed.user + offlineCpuUsed.system) / 1000 / sentences.length).toFixed(1),
    ),
    peak_rss_mb: peakRssMb(),
    backend: model.backend.name,
  });
  return sentencesPerSecond;
}

/** `subflow eval` over the same sentences in its own process; returns the sentences/s it reports. */
async function subflowEval(): Promise<number> {
  const cli = join(benchDir, '..', 'pipeline', 'cli.ts');
  const { sentencesPerSecond } = await runTsx<{ sentencesPerSecond: number }>([
    ...[cli, 'eval', '--src', join(work, 'src'), '--ref', join(work, 'ref')],
    ...['--beam', String(beam), '--json'],
  ]);
  printFigure({
    bench: 'serve',
    subflowEval: true,
    beam,
    sentences: sentences.length,
    sentences_per_second: Number(sentencesPerSecond.toFixed(1)),
  });
  return sentencesPerSecond;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
// Warm-up over all the sentences: a fresh process's first batches are much slower (subflowEval shows it).
await translateSentences(model, sentences, { beam });
const most = Math.max(...clientCounts);
const ratios: { unbatched: number; offline: number; eval: number }[] = [];
for (let round = 0; round < Number(flags.rounds); round++) {
  const evalRate = await subflowEval();
  const offlineRate = await offline();
  const rates = new Map<string, number>();
  for (const batching of ['on', 'off'] as const) {
    for (const clients of clientCounts) rates.set(`${batching}${clients}`, await point(batching, clients));
  }
  const batched = rates.get(`on${most}`)!;
  ratios.push({
    unbatched: batched / rates.get(`off${most}`)!,
    offline: batched / offlineRate,
    eval: batched / evalRate,
  });
}
printFigure({
  bench: 'serve',
  summary: true,
  rounds: ratios.length,
  clients: most,
  median_batched_vs_unbatched: Number(median(ratios.map((r) => r.unbatched)).toFixed(2)),
  median_batched_vs_subflow_eval: Number(median(ratios.map((r) => r.eval)).toFixed(2)),
  median_batched_vs_warm_offline: Number(median(ratios.map((r) => r.offline)).toFixed(2)),
  each_unbatched_eval_offline: ratios.map((r) =>
    [r.unbatched, r.eval, r.offline].map((x) => Number(x.toFixed(2))),
  ),
});
model.dispose();
rmSync(work, { recursive: true, force: true });
