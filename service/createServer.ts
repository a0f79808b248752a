import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import { join } from 'node:path';
import { isSubflowError } from '../errors.js';
import { packageRoot } from '../packageInfo.js';
import { HttpError, statusOfSubflowError } from './httpError.js';
import { createMetrics, type ServiceMetrics } from './metrics.js';
import type { ServedModel } from './modelCatalog.js';
import type { ServiceSettings } from './serviceSettings.js';
import { TranslationService } from './translationService.js';
import { registerHealthRoutes } from './routes/healthRoutes.js';
import { registerNativeRoutes } from './routes/nativeRoutes.js';
import { registerLibreTranslateRoutes } from './routes/libreTranslateRoutes.js';

/** A built (not yet listening) server, its translation stream and its metrics. */
export interface SubflowServer {
  app: FastifyInstance;
  service: TranslationService;
  metrics: ServiceMetrics;
  settings: ServiceSettings;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route translates: it needs an API key (when keys are configured) and counts against its rate. */
    translates?: boolean;
  }
  interface FastifyRequest {
    startedAt: number;
  }
}

/** Folder of the web page's static files. */
export const WEB_ROOT = join(packageRoot(), 'service', 'web');

/** The API key a request carries: `api_key` in the body or query, `X-API-Key`, or `Authorization: Bearer`. */
export function apiKeyOf(request: FastifyRequest): string | undefined {
  const fromBody = (request.body as { api_key?: unknown } | undefined)?.api_key;
  if (typeof fromBody === 'string' && fromBody !== '') return fromBody;
  const fromQuery = (request.query as { api_key?: unknown } | undefined)?.api_key;
  if (typeof fromQuery === 'string' && fromQuery !== '') return fromQuery;
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return bearer?.[1];
}

/**
 * Builds the HTTP server of `subflow serve` over loaded models: the native `/v1` API, the
 * LibreTranslate-compatible API, health, readiness and metrics, and the web page at `/`. Every
 * refusal is `{ "error": message }` with a status code; the caller listens and closes.
 */
export async function createServer(
  models: readonly ServedModel[],
  settings: ServiceSettings,
): Promise<SubflowServer> {
  const { limits } = settings;
  const metrics = createMetrics();
  const service = new TranslationService(models, settings, metrics);
  const app = Fastify({
    bodyLimit: limits.bodyLimitBytes,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Request logs carry method, URL, status and time: never bodies, so never texts.
    logger: settings.log ? { level: 'info' } : false,
    // Wrong types are refused (400 naming the field), never coerced or dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });

  app.decorateRequest('startedAt', 0);
  app.addHook('onRequest', async (request) => {
    request.startedAt = performance.now();
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, (performance.now() - request.startedAt) / 1000);
  });

  if (settings.corsOrigin !== undefined) await app.register(cors, { origin: settings.corsOrigin });
  await app.register(formbody, { bodyLimit: limits.bodyLimitBytes });
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    // Keep an uploaded file's name beside its bytes (keyValues would keep the bytes alone).
    onFile: async function (part) {
      (part as unknown as { value: unknown }).value = {
        filename: part.filename,
        bytes: await part.toBuffer(),
      };
    },
    limits: { fileSize: limits.bodyLimitBytes, files: 1, fields: 32 },
  });
  // Subtitle files may also come as the raw body, typed by their own content type.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(
    [
      'text/plain',
      'application/x-subrip',
      'text/srt',
      'text/vtt',
      'text/x-ssa',
      'text/x-ass',
      'application/octet-stream',
    ],
    { parseAs: 'buffer' },
    (_request, body, done) => done(null, body),
  );

  const apiKeys = settings.apiKeys;
  if (apiKeys) {
    app.addHook('preValidation', async (request) => {
      if (!request.routeOptions.config.translates) return;
      const key = apiKeyOf(request);
      if (key === undefined || !apiKeys.has(key)) {
        throw new HttpError(403, key === undefined ? 'an API key is needed (api_key)' : 'invalid API key');
      }
    });
    // One store for every translating route, so a key's budget is shared across them.
    await app.register(rateLimit, {
      global: true,
      allowList: (request) => !request.routeOptions.config.translates,
      hook: 'preHandler',
      timeWindow: 60_000,
      keyGenerator: (request) => apiKeyOf(request) ?? request.ip,
      max: (_request, key) => apiKeys.get(key) ?? limits.keyRequestsPerMinute,
      errorResponseBuilder: (_request, context) =>
        new HttpError(
          429,
          `Slowdown: this API key may make ${context.max} requests per minute; retry in ${Math.ceil(context.ttl / 1000)} s`,
        ),
    });
  }

  app.setErrorHandler((error: FastifyError | HttpError | Error, request, reply) =>
    sendError(error, request, reply),
  );
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  const routeOptions = { config: { translates: true } };
  registerHealthRoutes(app, { service, metrics });
  registerNativeRoutes(app, { service, settings, routeOptions });
  registerLibreTranslateRoutes(app, { service, settings, routeOptions });
  await app.register(fastifyStatic, { root: WEB_ROOT, prefix: '/', index: 'index.html' });

  // Once closing, each answered connection is closed too, or keep-alive would hold the exit for
  // Fastify's 72 s keepAliveTimeout; idle ones are closed by forceCloseConnections.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => {
    await service.close();
  });
  return { app, service, metrics, settings };

  function sendError(error: FastifyError | HttpError | Error, request: FastifyRequest, reply: FastifyReply) {
    if (error instanceof HttpError) {
      reply.headers(error.headers);
      return reply.code(error.statusCode).send({ error: error.message, ...error.details });
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const [first] = fastifyError.validation;
      const missing = (first.params as { missingProperty?: string }).missingProperty;
      const path = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
      const field = missing ?? (path || (fastifyError.validationContext ?? 'body'));
      const where = fastifyError.validationContext ?? 'body';
      const message = missing
        ? `${where}: "${missing}" is required`
        : `${where}: "${field}" ${first.message ?? 'is not valid'}`;
      return reply.code(400).send({ error: message, field });
    }
    if (
      fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ||
      fastifyError.code === 'FST_REQ_FILE_TOO_LARGE'
    ) {
      return reply
        .code(413)
        .send({ error: `the request body is larger than the limit of ${limits.bodyLimitBytes} bytes` });
    }
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply
        .code(415)
        .send({ error: `content type ${request.headers['content-type']} is not accepted here` });
    }
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      return reply.code(400).send({ error: `the body is not valid JSON: ${error.message}` });
    }
    if (isSubflowError(error)) {
      const status = statusOfSubflowError(error);
      if (status >= 500) request.log.error({ err: error }, 'translation failed');
      return reply.code(status).send({
        error: error.message,
        code: error.code,
        ...(error.line !== undefined ? { line: error.line } : {}),
        ...(error.key !== undefined ? { field: error.key } : {}),
      });
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send({ error: error.message });
    }
    request.log.error({ err: error }, 'internal error');
    return reply.code(500).send({ error: 'internal error; see the server log' });
  }
}
