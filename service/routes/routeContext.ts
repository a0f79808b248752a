import type { RouteShorthandOptions } from 'fastify';
import type { ServiceSettings } from '../serviceSettings.js';
import type { TranslationService } from '../translationService.js';

/** What every group of translation routes is registered with. */
export interface RouteContext {
  service: TranslationService;
  settings: ServiceSettings;
  /** Marks a route as translating: API keys and per-key rate limits apply to it. */
  routeOptions: RouteShorthandOptions;
}
