import { BATCH_DEFAULTS } from '../operators/batchRequests.js';
import { resolveSearchOptions } from '../model/searchInternals.js';

const SEARCH_DEFAULTS = resolveSearchOptions();

/** Limits of `subflow serve`; every refusal they cause is a JSON error, never a hang. */
export interface ServiceLimits {
  /** Largest request body in bytes (413). */
  bodyLimitBytes: number;
  /** Most texts in one translate request (413). */
  maxTexts: number;
  /** Most characters in one text (413). */
  maxTextChars: number;
  /** Most sentences waiting for the model across all clients (429 beyond). */
  maxQueuedSentences: number;
  /** Most translation requests being answered at once (429 beyond). */
  maxInFlight: number;
  /** A request not answered within this many ms gets 504 and leaves the queue. */
  requestTimeoutMs: number;
  /** Requests per minute of one API key, unless its line in the keys file says otherwise (429). */
  keyRequestsPerMinute: number;
  /** Largest beam a client may ask for (400 beyond). */
  maxBeam: number;
}

/** Everything `subflow serve` is configured with besides the models. */
export interface ServiceSettings {
  host: string;
  port: number;
  limits: ServiceLimits;
  /** Token budget and wait of the dynamic batching (see operators/batchRequests.ts). 0 tokens: one sentence per batch. */
  maxBatchTokens: number;
  maxWaitMs: number;
  /** Search defaults for requests that do not name them: the same as `subflow translate`. */
  beam: number;
  alpha: number;
  /** Origin allowed to call the API from a browser (CORS); undefined: CORS off. */
  corsOrigin?: string;
  /** API keys and their requests per minute; undefined: no keys needed. */
  apiKeys?: ReadonlyMap<string, number>;
  /** Put the texts of requests into the log (never by default). */
  logTexts: boolean;
  /** Log requests (one JSON line each on stderr). */
  log: boolean;
}

/** The default of every setting: flags, environment variables and help texts read them from here. */
export const SERVICE_DEFAULTS: Omit<ServiceSettings, 'corsOrigin' | 'apiKeys'> = {
  host: '127.0.0.1',
  port: 8080,
  limits: {
    bodyLimitBytes: 2 * 1024 * 1024,
    maxTexts: 256,
    maxTextChars: 2000,
    maxQueuedSentences: 4096,
    maxInFlight: 256,
    requestTimeoutMs: 120_000,
    keyRequestsPerMinute: 60,
    maxBeam: 16,
  },
  maxBatchTokens: BATCH_DEFAULTS.maxBatchTokens,
  maxWaitMs: BATCH_DEFAULTS.maxWaitMs,
  beam: SEARCH_DEFAULTS.beam,
  alpha: SEARCH_DEFAULTS.alpha,
  logTexts: false,
  log: true,
};

/** Settings with the defaults filled in under `overrides` (limits merged key by key). */
export function serviceSettings(
  overrides: Partial<Omit<ServiceSettings, 'limits'>> & { limits?: Partial<ServiceLimits> } = {},
): ServiceSettings {
  return {
    ...SERVICE_DEFAULTS,
    ...overrides,
    limits: { ...SERVICE_DEFAULTS.limits, ...overrides.limits },
  };
}
