// Load generator of bench/serve.ts, in its own process so the clients do not share the server's event
// loop: `tsx bench/_serveClients.ts URL CLIENTS` reads sentences (JSON array) on stdin, sends each as one
// POST /v1/translate from CLIENTS closed-loop clients, and prints { seconds, latencies, cpuMs } as JSON.
// node:http with a keep-alive agent, not fetch: on 2 cores the clients share the server's CPU, and fetch
// costs several times more CPU per request, which the server's figures would then pay for.
import { Agent, request } from 'node:http';

const [url, clientsArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const agent = new Agent({ keepAlive: true, maxSockets: clients });
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const sentences = JSON.parse(Buffer.concat(chunks).toString('utf8')) as string[];

/** One POST of `body`; resolves with the response body, rejects on a non-2xx status. */
function post(body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode}: ${text}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const latencies: number[] = [];
let next = 0;
const started = performance.now();
const cpuBefore = process.cpuUsage();
await Promise.all(
  Array.from({ length: clients }, async () => {
    while (next < sentences.length) {
      const text = sentences[next++];
      const sent = performance.now();
      JSON.parse(await post(JSON.stringify({ texts: [text] })));
      latencies.push(performance.now() - sent);
    }
  }),
);
const cpu = process.cpuUsage(cpuBefore);
agent.destroy();
process.stdout.write(
  JSON.stringify({
    seconds: (performance.now() - started) / 1000,
    latencies,
    cpuMs: (cpu.user + cpu.system) / 1000,
  }),
);
