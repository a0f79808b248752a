import { isSubflowError } from '../errors.js';

/** A refusal with its HTTP status; the body is `{ "error": message, ...details }`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Extra response headers (Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The status a SubflowError maps to: the client's fault (400, 422) or the server's (500). */
export function statusOfSubflowError(error: unknown): number {
  if (isSubflowError(error, 'SUBTITLE_PARSE') || isSubflowError(error, 'INVALID_UTF8')) return 422;
  if (isSubflowError(error, 'BAD_ARGUMENT')) return 400;
  return 500;
}
