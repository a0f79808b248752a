import type { FastifyReply } from 'fastify';
import { HttpError } from './httpError.js';

/**
 * Runs a request's work with a signal that aborts when the client goes away (its queued sentences
 * are dropped) or after `timeoutMs` (the work rejects with HttpError 504).
 */
export async function withRequestSignal<T>(
  reply: FastifyReply,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new HttpError(504, `the translation was not done within ${timeoutMs} ms; try fewer texts`),
      ),
    timeoutMs,
  );
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(new HttpError(499, 'the client closed the connection'));
  };
  reply.raw.on('close', onClose);
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
    reply.raw.off('close', onClose);
  }
}
