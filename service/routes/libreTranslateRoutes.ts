import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './routeContext.js';
import { maskTags } from '../../subtitles/tags.js';
import { HttpError } from '../httpError.js';
import { UNKNOWN_LANGUAGE } from '../modelCatalog.js';
import { withRequestSignal } from '../requestLifetime.js';
import { checkTexts, searchOf } from './nativeRoutes.js';

/*
 * The LibreTranslate API (https://libretranslate.com/docs), so that its clients work unchanged:
 * POST /translate, GET /languages, GET /frontend/settings. Bodies may be JSON, URL-encoded or
 * multipart, as LibreTranslate accepts; errors are `{ "error": … }`.
 */

interface LibreTranslateBody {
  q: string | string[];
  source: string;
  target: string;
  format?: 'text' | 'html';
  alternatives?: number | string;
  api_key?: string;
}

const translateSchema = {
  body: {
    type: 'object',
    required: ['q', 'source', 'target'],
    properties: {
      q: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      source: { type: 'string', minLength: 1 },
      target: { type: 'string', minLength: 1 },
      format: { type: 'string', enum: ['text', 'html'] },
      alternatives: {
        anyOf: [
          { type: 'integer', minimum: 0 },
          { type: 'string', pattern: '^[0-9]+$' },
        ],
      },
      api_key: { type: 'string' },
    },
  },
} as const;

/** English name of an ISO 639-1 code ("es" → "Spanish"), the code itself when unknown. */
function languageName(code: string): string {
  if (code === UNKNOWN_LANGUAGE) return 'Unknown';
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** POST /translate, GET /languages and GET /frontend/settings in LibreTranslate's shapes. */
export function registerLibreTranslateRoutes(
  app: FastifyInstance,
  { service, settings, routeOptions }: RouteContext,
): void {
  app.get('/languages', async () => {
    // Every language served, as source or target (clients check both against this list).
    const targets = new Map<string, Set<string>>();
    for (const { languages } of service.models) {
      if (!targets.has(languages.target)) targets.set(languages.target, new Set());
      const set = targets.get(languages.source) ?? new Set<string>();
      set.add(languages.target);
      targets.set(languages.source, set);
    }
    return [...targets].map(([code, set]) => ({ code, name: languageName(code), targets: [...set].sort() }));
  });

  app.get('/frontend/settings', async () => {
    const [first] = service.models;
    return {
      charLimit: settings.limits.maxTextChars,
      frontendTimeout: 500,
      apiKeys: settings.apiKeys !== undefined,
      keyRequired: settings.apiKeys !== undefined,
      suggestions: false,
      filesTranslation: false,
      supportedFilesFormat: [],
      language: {
        source: { code: first.languages.source, name: languageName(first.languages.source) },
        target: { code: first.languages.target, name: languageName(first.languages.target) },
      },
    };
  });

  app.post<{ Body: LibreTranslateBody }>(
    '/translate',
    { ...routeOptions, schema: translateSchema },
    async (request, reply) => {
      const body = request.body;
      const texts = typeof body.q === 'string' ? [body.q] : body.q;
      checkTexts(texts, settings, 'q');
      const auto = body.source === 'auto';
      if (auto && service.models.length > 1) {
        throw new HttpError(
          400,
          `source "auto" needs a single served model, but ${service.models.length} are served; name the source language`,
          { field: 'source' },
        );
      }
      const served = service.findModel({ source: auto ? undefined : body.source, target: body.target });
      const alternatives = Number(body.alternatives ?? 0);
      const search = searchOf({ nBest: alternatives > 0 ? alternatives + 1 : undefined }, settings);
      if (search.nBest !== undefined && search.nBest > search.beam) search.beam = search.nBest;
      const masked = texts.map((text) =>
        body.format === 'html' ? maskTags(text, { entities: true }) : undefined,
      );
      const plain = texts.map((text, k) => masked[k]?.plain ?? text);
      if (settings.logTexts) request.log.info({ texts }, 'texts');
      const release = service.admit(texts.length);
      try {
        const translations = await withRequestSignal(reply, settings.limits.requestTimeoutMs, (signal) =>
          service.translate(served, plain, search, signal),
        );
        const restore = (text: string, k: number) => masked[k]?.restore(text) ?? text;
        const translated = translations.map((t, k) => restore(t.text, k));
        const answer: Record<string, unknown> = {
          translatedText: typeof body.q === 'string' ? translated[0] : translated,
        };
        if (alternatives > 0) {
          const rest = translations.map((t, k) => (t.nBest ?? []).slice(1).map((h) => restore(h.text, k)));
          answer.alternatives = typeof body.q === 'string' ? rest[0] : rest;
        }
        if (auto) {
          const detected = { confidence: 100, language: served.languages.source };
          answer.detectedLanguage = typeof body.q === 'string' ? detected : texts.map(() => detected);
        }
        return answer;
      } finally {
        release();
      }
    },
  );
}
