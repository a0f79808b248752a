import type { FastifyInstance } from 'fastify';
import type { ServiceMetrics } from '../metrics.js';
import type { TranslationService } from '../translationService.js';

/** GET /health (the process answers), GET /ready (models loaded, not shutting down), GET /metrics. */
export function registerHealthRoutes(
  app: FastifyInstance,
  { service, metrics }: { service: TranslationService; metrics: ServiceMetrics },
): void {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    const ready = service.models.length > 0 && !service.closing;
    return reply
      .code(ready ? 200 : 503)
      .send({ ready, models: service.models.map((m) => m.name), queuedSentences: service.queuedSentences });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
