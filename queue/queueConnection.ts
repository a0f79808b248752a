import type { ConnectionOptions } from 'bullmq';
import { SubflowError } from '../errors.js';

/*
 * Where the queue lives: one Redis server, named by a URL, and the BullMQ queue names subflow uses
 * on it. Every front end (queue add, worker, status) connects the same way.
 */

/** The Redis URL used when neither `--redis` nor `SUBFLOW_REDIS_URL` is given. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** BullMQ key prefix: every key subflow writes starts with `subflow:`. */
export const QUEUE_PREFIX = 'subflow';

/** The queues: one file per `translate` job, one pipeline config per `train` job, one parent per submission. */
export const QUEUE_NAMES = {
  translate: 'translate',
  train: 'train',
  submissions: 'submissions',
} as const;

/** Queues a worker can take jobs from (`--queues`). */
export type WorkQueue = 'translate' | 'train';

/**
 * Connection options for BullMQ from a `redis://[user:password@]host[:port][/db]` or `rediss://` URL.
 * Commands wait out a Redis restart (workers reconnect and go on); {@link whenReachable} is what makes a
 * one-shot command fail fast when Redis is not there at all.
 */
export function redisConnection(url: string): ConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw badUrl(url, error);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw badUrl(url);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw badUrl(url);
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: db === '' ? 0 : Number(db),
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    // Workers and watchers wait out a Redis restart instead of failing their commands.
    maxRetriesPerRequest: null,
  };
}

/** The Redis URL of a command: `--redis`, else `SUBFLOW_REDIS_URL`, else {@link DEFAULT_REDIS_URL}. */
export function redisUrlOf(flag: string | undefined): string {
  return flag ?? process.env.SUBFLOW_REDIS_URL ?? DEFAULT_REDIS_URL;
}

function badUrl(url: string, cause?: unknown): SubflowError {
  return new SubflowError('BAD_ARGUMENT', `--redis ${url} is not a Redis URL`, {
    key: 'redis',
    cause,
    hint: 'give redis://host:port (or redis://user:password@host:port/db, rediss:// for TLS)',
  });
}

/** Something BullMQ that connects: a Queue, Worker, QueueEvents or FlowProducer. */
interface Connecting {
  waitUntilReady(): Promise<unknown>;
}

/**
 * Resolves once `client` is connected; throws `REDIS_UNAVAILABLE` after `timeoutMs` so a command
 * pointed at the wrong host says so instead of waiting forever.
 */
export async function whenReachable(client: Connecting, url: string, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SubflowError('REDIS_UNAVAILABLE', `cannot reach Redis at ${url}`, {
            key: 'redis',
            hint: 'start redis-server there (scripts/setup.sh --with-redis installs it), or pass --redis URL / set SUBFLOW_REDIS_URL',
          }),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([client.waitUntilReady(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
