import { Option, type Command } from 'commander';
import type { BackendName } from '../../model/backend.js';
import { readApiKeys } from '../../service/apiKeys.js';
import { startServer } from '../../service/serve.js';
import { SERVICE_DEFAULTS, serviceSettings } from '../../service/serviceSettings.js';
import { withInterrupt } from '../interrupt.js';
import { BACKEND_NAMES, DEFAULT_BACKEND } from '../../model/backend.js';
import { integer } from './decodingFlags.js';

interface ServeFlags {
  model: string[];
  models?: string;
  host: string;
  port: number;
  backend: string;
  maxBatchTokens: number;
  maxWaitMs: number;
  beam: number;
  bodyLimit: number;
  maxTexts: number;
  maxTextChars: number;
  maxQueue: number;
  maxInFlight: number;
  timeoutMs: number;
  apiKeys?: string;
  keyRpm: number;
  cors?: string;
  logTexts?: boolean;
  quiet?: boolean;
}

const defaults = SERVICE_DEFAULTS;
const limits = defaults.limits;

/** A flag that also reads an environment variable (for containers). */
function flag(
  spec: string,
  description: string,
  env: string,
  parse?: (value: string) => unknown,
  fallback?: unknown,
) {
  const option = new Option(spec, description).env(env);
  if (parse) option.argParser(parse);
  if (fallback !== undefined) option.default(fallback);
  return option;
}

/**
 * `subflow serve`: serves models over HTTP (native /v1 API, LibreTranslate-compatible API, web page)
 * until SIGTERM/SIGINT, then stops accepting, answers every accepted request and exits 0.
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve models over HTTP: /v1 API, LibreTranslate-compatible API, metrics and a web page')
    .addOption(
      new Option('-m, --model <dir>', 'checkpoint folder to serve, repeatable; clients use its folder name')
        .argParser((value: string, previous: string[] = []) => [...previous, value])
        .default([]),
    )
    .addOption(flag('--models <dir>', 'serve every checkpoint folder inside this folder', 'SUBFLOW_MODELS'))
    .addOption(flag('--host <host>', 'address to listen on', 'SUBFLOW_HOST', undefined, defaults.host))
    .addOption(
      flag('--port <n>', 'port to listen on (0: any free port)', 'SUBFLOW_PORT', integer(0), defaults.port),
    )
    .addOption(
      flag('--backend <name>', 'tfjs backend', 'SUBFLOW_BACKEND')
        .choices(BACKEND_NAMES)
        .default(DEFAULT_BACKEND),
    )
    .addOption(
      flag(
        '--max-batch-tokens <n>',
        'tokens per batch across clients; 0: one sentence per batch',
        'SUBFLOW_MAX_BATCH_TOKENS',
        integer(0),
        defaults.maxBatchTokens,
      ),
    )
    .addOption(
      flag(
        '--max-wait-ms <ms>',
        'after a batch, longest the next one waits for as many requests as it answered',
        'SUBFLOW_MAX_WAIT_MS',
        integer(0),
        defaults.maxWaitMs,
      ),
    )
    .addOption(
      flag('-b, --beam <k>', 'default beam size of requests', 'SUBFLOW_BEAM', integer(1), defaults.beam),
    )
    .addOption(
      flag(
        '--body-limit <bytes>',
        'largest request body (413)',
        'SUBFLOW_BODY_LIMIT',
        integer(1),
        limits.bodyLimitBytes,
      ),
    )
    .addOption(
      flag('--max-texts <n>', 'texts per request (413)', 'SUBFLOW_MAX_TEXTS', integer(1), limits.maxTexts),
    )
    .addOption(
      flag(
        '--max-text-chars <n>',
        'characters per text (413)',
        'SUBFLOW_MAX_TEXT_CHARS',
        integer(1),
        limits.maxTextChars,
      ),
    )
    .addOption(
      flag(
        '--max-queue <n>',
        'sentences queued across clients (429 beyond)',
        'SUBFLOW_MAX_QUEUE',
        integer(1),
        limits.maxQueuedSentences,
      ),
    )
    .addOption(
      flag(
        '--max-in-flight <n>',
        'requests answered at once (429 beyond)',
        'SUBFLOW_MAX_IN_FLIGHT',
        integer(1),
        limits.maxInFlight,
      ),
    )
    .addOption(
      flag(
        '--timeout-ms <ms>',
        'per-request time limit (504)',
        'SUBFLOW_TIMEOUT_MS',
        integer(1),
        limits.requestTimeoutMs,
      ),
    )
    .addOption(
      flag(
        '--api-keys <file>',
        'require an API key from this file (one per line: KEY [RPM])',
        'SUBFLOW_API_KEYS',
      ),
    )
    .addOption(
      flag(
        '--key-rpm <n>',
        'requests per minute of a key whose line names none (429)',
        'SUBFLOW_KEY_RPM',
        integer(1),
        limits.keyRequestsPerMinute,
      ),
    )
    .addOption(
      flag('--cors <origin>', 'allow browser calls from this origin (default: CORS off)', 'SUBFLOW_CORS'),
    )
    .addOption(flag('--log-texts', 'put request texts into the log (never by default)', 'SUBFLOW_LOG_TEXTS'))
    .addOption(flag('-q, --quiet', 'no request log', 'SUBFLOW_QUIET'))
    .action(async (flags: ServeFlags) => {
      const log = (line: string) => void process.stderr.write(`${line}\n`);
      const settings = serviceSettings({
        host: flags.host,
        port: flags.port,
        maxBatchTokens: flags.maxBatchTokens,
        maxWaitMs: flags.maxWaitMs,
        beam: flags.beam,
        corsOrigin: flags.cors,
        apiKeys: flags.apiKeys === undefined ? undefined : readApiKeys(flags.apiKeys, flags.keyRpm),
        logTexts: Boolean(flags.logTexts),
        log: !flags.quiet,
        limits: {
          bodyLimitBytes: flags.bodyLimit,
          maxTexts: flags.maxTexts,
          maxTextChars: flags.maxTextChars,
          maxQueuedSentences: flags.maxQueue,
          maxInFlight: flags.maxInFlight,
          requestTimeoutMs: flags.timeoutMs,
          keyRequestsPerMinute: flags.keyRpm,
        },
      });
      await withInterrupt(async (signal) => {
        const server = await startServer({
          models: flags.model,
          modelsDir: flags.models,
          backend: flags.backend as BackendName,
          settings,
          log,
        });
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        log('serve: stopping: no new requests; answering the accepted ones');
        await server.close();
        log('serve: stopped');
      });
    });
}
