import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real redis-server for a test: loopback only, a random free port, its files in a temp folder. */
export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGKILL with `hard`), keeping its folder, so `start` brings the same data back. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Skips the calling suite when Debian's redis-server is not installed (`scripts/setup.sh --with-redis`),
 * unless SUBFLOW_REQUIRE_REDIS=1 (CI), where its absence is an error.
 */
export function skipWithoutRedis(context: Mocha.Context): void {
  if (spawnSync('redis-server', ['--version']).status === 0) return;
  if (process.env.SUBFLOW_REQUIRE_REDIS === '1') throw new Error('redis-server is not installed');
  console.warn('    (no redis-server: run scripts/setup.sh --with-redis to run the queue tests)');
  context.skip();
}

/**
 * Starts `redis-server` (installed by `scripts/setup.sh --with-redis`). Without `persistent` nothing
 * is saved (`--save '' --appendonly no`); with it every write is in an append-only file synced at
 * once, so a restart, even after SIGKILL, keeps the queue, as a production Redis for BullMQ should.
 */
export async function startRedisServer(options: { persistent?: boolean } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'subflow-redis-'));
  const port = await freePort();
  const persistence = options.persistent
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  let child: ChildProcess | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const server = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = server;
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 20_000);
      server.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      server.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      server.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });

  const stop = async (hard = false) => {
    const server = child;
    child = undefined;
    if (!server || server.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    server.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
