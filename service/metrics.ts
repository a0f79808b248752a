import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics of one server (its own registry, so several servers in a process stay apart). */
export interface ServiceMetrics {
  registry: Registry;
  requests: Counter<'route' | 'status'>;
  latency: Histogram<'route'>;
  batchSentences: Histogram;
  batchTokens: Histogram;
  queuedSentences: Gauge;
  inFlight: Gauge;
  sentences: Counter<'model'>;
  tokens: Counter<'model'>;
}

/** Creates the metrics (names in the README's Serve section) and the process defaults (RSS, CPU, event loop). */
export function createMetrics(): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'subflow_' });
  const powers = (from: number, count: number) => Array.from({ length: count }, (_, i) => from * 2 ** i);
  return {
    registry,
    requests: new Counter({
      name: 'subflow_http_requests_total',
      help: 'HTTP requests answered, by route and status code',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'subflow_http_request_duration_seconds',
      help: 'Time from request to response, by route',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    batchSentences: new Histogram({
      name: 'subflow_batch_sentences',
      help: 'Sentences per batch handed to the model',
      buckets: powers(1, 10),
      registers: [registry],
    }),
    batchTokens: new Histogram({
      name: 'subflow_batch_tokens',
      help: 'Source tokens per batch handed to the model',
      buckets: powers(8, 11),
      registers: [registry],
    }),
    queuedSentences: new Gauge({
      name: 'subflow_queue_sentences',
      help: 'Sentences waiting for the model',
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'subflow_requests_in_flight',
      help: 'Translation requests being answered',
      registers: [registry],
    }),
    sentences: new Counter({
      name: 'subflow_sentences_translated_total',
      help: 'Sentences translated, by model',
      labelNames: ['model'],
      registers: [registry],
    }),
    tokens: new Counter({
      name: 'subflow_tokens_translated_total',
      help: 'Source tokens translated (EOS included), by model',
      labelNames: ['model'],
      registers: [registry],
    }),
  };
}
