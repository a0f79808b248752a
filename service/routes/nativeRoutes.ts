import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './routeContext.js';
import { isSubflowError } from '../../errors.js';
import { translateSubtitleBytes } from '../../jobs/translateSubtitleBytes.js';
import type { SubtitleFormat } from '../../subtitles/cue.js';
import { parseSubtitleBytes } from '../../subtitles/readSubtitleFile.js';
import type { Translation } from '../../types.js';
import { HttpError } from '../httpError.js';
import { describeModel, type ServedModel } from '../modelCatalog.js';
import { withRequestSignal } from '../requestLifetime.js';
import type { ServiceSettings } from '../serviceSettings.js';
import type { SearchRequest } from '../translationService.js';

/** Body of POST /v1/translate. */
interface TranslateBody {
  texts: string[];
  source?: string;
  target?: string;
  model?: string;
  beam?: number;
  alpha?: number;
  nBest?: number;
  alignment?: boolean;
  api_key?: string;
}

const translateSchema = {
  body: {
    type: 'object',
    required: ['texts'],
    additionalProperties: false,
    properties: {
      texts: { type: 'array', items: { type: 'string' } },
      source: { type: 'string', minLength: 1 },
      target: { type: 'string', minLength: 1 },
      model: { type: 'string', minLength: 1 },
      beam: { type: 'integer', minimum: 1 },
      alpha: { type: 'number', minimum: 0 },
      nBest: { type: 'integer', minimum: 1 },
      alignment: { type: 'boolean' },
      api_key: { type: 'string' },
    },
  },
} as const;

/** Query (and multipart fields) of POST /v1/subtitles; numbers and flags arrive as text. */
const subtitleQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    model: { type: 'string', minLength: 1 },
    source: { type: 'string', minLength: 1 },
    target: { type: 'string', minLength: 1 },
    format: { type: 'string', enum: ['srt', 'vtt', 'ass'] },
    name: { type: 'string', minLength: 1, maxLength: 255 },
    beam: { type: 'string', pattern: '^[1-9][0-9]*$' },
    encoding: { type: 'string', minLength: 1, maxLength: 40 },
    strict: { type: 'string', enum: ['true', 'false', '1', '0'] },
    bom: { type: 'string', enum: ['true', 'false', '1', '0'] },
    maxLineLength: { type: 'string', pattern: '^[1-9][0-9]*$' },
    maxLines: { type: 'string', pattern: '^[1-9][0-9]*$' },
    api_key: { type: 'string' },
  },
} as const;

type SubtitleQuery = Partial<Record<keyof (typeof subtitleQuerySchema)['properties'], string>>;

const CONTENT_TYPES: Record<SubtitleFormat, string> = {
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
  ass: 'text/x-ssa; charset=utf-8',
};

/** Checks the texts against the request limits (413 naming the limit). */
export function checkTexts(texts: readonly string[], settings: ServiceSettings, field = 'texts'): void {
  const { maxTexts, maxTextChars } = settings.limits;
  if (texts.length > maxTexts) {
    throw new HttpError(413, `"${field}" holds ${texts.length} texts; the limit is ${maxTexts} per request`, {
      field,
    });
  }
  const long = texts.findIndex((text) => text.length > maxTextChars);
  if (long >= 0) {
    throw new HttpError(
      413,
      `${field}[${long}] has ${texts[long].length} characters; the limit is ${maxTextChars} per text`,
      { field },
    );
  }
}

/** Search options of a request, with the server's defaults and the beam limit (400 naming the field). */
export function searchOf(
  request: { beam?: number; alpha?: number; nBest?: number; alignment?: boolean },
  settings: ServiceSettings,
): SearchRequest {
  const beam = request.beam ?? settings.beam;
  if (beam > settings.limits.maxBeam) {
    throw new HttpError(400, `"beam" is ${beam}; the largest beam served is ${settings.limits.maxBeam}`, {
      field: 'beam',
    });
  }
  if (request.nBest !== undefined && request.nBest > beam) {
    throw new HttpError(400, `"nBest" (${request.nBest}) must not exceed the beam (${beam})`, {
      field: 'nBest',
    });
  }
  return {
    beam,
    alpha: request.alpha ?? settings.alpha,
    nBest: request.nBest,
    alignment: request.alignment,
  };
}

/** Source and target pieces (each ending with `</s>`) and the weights [targetPieces][sourcePieces]. */
function alignmentOf(served: ServedModel, translation: Translation) {
  const weights = translation.attention ?? [];
  const source = [...served.model.sourceTokenizer.encodePieces(translation.source), '</s>'];
  let target = [...served.model.targetTokenizer.encodePieces(translation.text), '</s>'];
  // Re-encoding the detokenised text almost always gives the decoded pieces back; if not, number them.
  if (target.length !== weights.length) target = weights.map((_, k) => `#${k + 1}`);
  return { source: source.slice(-(weights[0]?.length ?? 0)), target, weights };
}

/** POST /v1/translate, POST /v1/subtitles, GET /v1/models. */
export function registerNativeRoutes(
  app: FastifyInstance,
  { service, settings, routeOptions }: RouteContext,
): void {
  app.get('/v1/models', async () => ({ models: service.models.map(describeModel) }));

  app.post<{ Body: TranslateBody }>(
    '/v1/translate',
    { ...routeOptions, schema: translateSchema },
    async (request, reply) => {
      const body = request.body;
      checkTexts(body.texts, settings);
      const search = searchOf(body, settings);
      const served = service.findModel({ name: body.model, source: body.source, target: body.target });
      if (settings.logTexts) request.log.info({ texts: body.texts }, 'texts');
      const release = service.admit(body.texts.length);
      try {
        const translations = await withRequestSignal(reply, settings.limits.requestTimeoutMs, (signal) =>
          service.translate(served, body.texts, search, signal),
        );
        return {
          model: served.name,
          translations: translations.map((t) => ({
            text: t.text,
            score: t.score,
            ...(t.nBest ? { nBest: t.nBest } : {}),
            ...(body.alignment ? { alignment: alignmentOf(served, t) } : {}),
          })),
        };
      } finally {
        release();
      }
    },
  );

  app.post<{ Querystring: SubtitleQuery; Body: unknown }>(
    '/v1/subtitles',
    { ...routeOptions, schema: { querystring: subtitleQuerySchema } },
    async (request, reply) => {
      const { bytes, fileName, fields } = subtitleUpload(request.body);
      checkFormFields(fields);
      const query: SubtitleQuery = { ...request.query, ...fields };
      const flag = (value?: string) => value === 'true' || value === '1';
      const int = (value?: string) => (value === undefined ? undefined : Number(value));
      const search = searchOf({ beam: int(query.beam) }, settings);
      const served = service.findModel({ name: query.model, source: query.source, target: query.target });
      const name = query.name ?? fileName ?? 'upload';
      const options = {
        format: query.format as SubtitleFormat | undefined,
        encoding: query.encoding,
        bom: flag(query.bom),
        maxLineLength: int(query.maxLineLength),
        maxLines: int(query.maxLines),
      };
      if (flag(query.strict)) refuseMalformed(bytes, name, options.encoding);
      const result = await withSubtitleErrors(() =>
        withRequestSignal(reply, settings.limits.requestTimeoutMs, async (signal) => {
          // Admission needs the sentence count, known only once parsed: the job's translator asks for it.
          let release = () => undefined as void;
          try {
            return await translateSubtitleBytes(bytes, name, {
              options,
              signal,
              translateUnits: (units, unitSignal) => {
                release = service.admit(units.length);
                return service.unitTranslator(served, search)(units, unitSignal);
              },
            });
          } finally {
            release();
          }
        }),
      );
      if (result.cues === 0) {
        throw new HttpError(422, `${name} holds no cue to translate`, {
          problems: result.warnings.map(({ line, message }) => ({ line, message })),
        });
      }
      const outName = name.replace(/\.[^./\\]*$/, '') + `.${served.languages.target}.${result.format}`;
      return reply
        .header('content-type', CONTENT_TYPES[result.format])
        .header('content-disposition', `attachment; filename="${outName.replace(/[^\w.-]/g, '_')}"`)
        .header('subflow-model', served.name)
        .header('subflow-warnings', String(result.warnings.length))
        .send(result.bytes);
    },
  );
}

/** The bytes of a subtitle upload: a raw body, or the `file` part of a multipart form (+ its fields). */
function subtitleUpload(body: unknown): { bytes: Buffer; fileName?: string; fields: Record<string, string> } {
  if (Buffer.isBuffer(body)) return { bytes: body, fields: {} };
  if (body && typeof body === 'object') {
    const { file, ...rest } = body as Record<string, unknown>;
    const fields: Record<string, string> = {};
    for (const [key, value] of Object.entries(rest)) if (typeof value === 'string') fields[key] = value;
    if (file && typeof file === 'object' && Buffer.isBuffer((file as { bytes?: unknown }).bytes)) {
      const upload = file as { bytes: Buffer; filename?: string };
      return { bytes: upload.bytes, fileName: upload.filename, fields };
    }
  }
  throw new HttpError(
    400,
    'send the subtitle file as the body (Content-Type application/x-subrip, text/vtt …) or as the "file" field of a multipart form',
    {
      field: 'file',
    },
  );
}

/** Multipart fields are checked against the query schema's rules (400 naming the field). */
function checkFormFields(fields: Record<string, string>): void {
  const rules = subtitleQuerySchema.properties as Record<
    string,
    { pattern?: string; enum?: readonly string[] }
  >;
  for (const [field, value] of Object.entries(fields)) {
    const rule = rules[field];
    if (!rule) throw new HttpError(400, `form field "${field}" is not known`, { field });
    if (
      (rule.pattern && !new RegExp(rule.pattern).test(value)) ||
      (rule.enum && !rule.enum.includes(value))
    ) {
      throw new HttpError(
        400,
        `form field "${field}" has the value "${value.slice(0, 40)}", which is not allowed`,
        {
          field,
        },
      );
    }
  }
}

/** With `strict`, every problem the lenient parse finds (what `subflow inspect` lists) is a 422. */
function refuseMalformed(bytes: Buffer, name: string, encoding?: string): void {
  const file = withParseErrors(() => parseSubtitleBytes(bytes, name, { encoding }));
  if (file.warnings.length > 0) {
    throw new HttpError(422, `${name} is malformed: ${file.warnings.length} problem(s)`, {
      problems: file.warnings.map(({ line, message }) => ({ line, message })),
    });
  }
}

function withParseErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw toUnprocessable(error);
  }
}

async function withSubtitleErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toUnprocessable(error);
  }
}

function toUnprocessable(error: unknown): unknown {
  if (isSubflowError(error, 'SUBTITLE_PARSE') || isSubflowError(error, 'INVALID_UTF8')) {
    return new HttpError(422, error.message, {
      problems: [{ line: error.line, message: error.message }],
    });
  }
  return error;
}
