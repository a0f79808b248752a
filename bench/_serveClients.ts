// Load generator of bench/serve.ts, in its own process so the clients do not share the server's event
// loop: `tsx bench/_serveClients.ts URL CLIENTS` reads sentences (JSON array) on stdin, sends each as one
// POST /v1/translate from CLIENTS closed-loop clients, and prints { seconds, latencies } as JSON.
const [url, clientsArg] = process.argv.slice(2);
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const sentences = JSON.parse(Buffer.concat(chunks).toString('utf8')) as string[];
const latencies: number[] = [];
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: Number(clientsArg) }, async () => {
    while (next < sentences.length) {
      const text = sentences[next++];
      const sent = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ texts: [text] }),
      });
      if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
      await response.json();
      latencies.push(performance.now() - sent);
    }
  }),
);
process.stdout.write(JSON.stringify({ seconds: (performance.now() - started) / 1000, latencies }));
