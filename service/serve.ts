import type { BackendName } from '../model/backend.js';
import { createServer, type SubflowServer } from './createServer.js';
import { loadServedModels, modelFolders } from './modelCatalog.js';
import type { ServiceSettings } from './serviceSettings.js';

/** What `subflow serve` starts from: model folders, a backend and the settings. */
export interface ServeOptions {
  /** `--model DIR`, repeatable. */
  models: readonly string[];
  /** `--models DIR`: serve every checkpoint folder inside. */
  modelsDir?: string;
  backend: BackendName;
  settings: ServiceSettings;
  /** One line of status (stderr). */
  log: (line: string) => void;
}

/** A listening server. */
export interface RunningServer extends SubflowServer {
  /** Base URL, with the port actually bound (port 0 picks a free one). */
  url: string;
  /** Stops accepting, answers every accepted request, frees the models. */
  close(): Promise<void>;
}

/** Loads the models, builds the server and listens; the caller decides when to close. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const folders = modelFolders(options.models, options.modelsDir);
  const models = await loadServedModels(folders, options.backend);
  for (const { name, model, languages } of models) {
    options.log(`serve: model ${name} (${languages.source}→${languages.target}) from ${model.dir}`);
  }
  options.log(`serve: ${models[0].model.backend.reason}`);
  const server = await createServer(models, options.settings);
  try {
    await server.app.listen({ host: options.settings.host, port: options.settings.port });
  } catch (error) {
    await server.app.close();
    for (const { model } of models) model.dispose();
    throw error;
  }
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.settings.port;
  const host = options.settings.host.includes(':') ? `[${options.settings.host}]` : options.settings.host;
  const url = `http://${host}:${port}`;
  options.log(`serve: listening on ${url}`);
  return {
    ...server,
    url,
    close: async () => {
      await server.app.close();
      for (const { model } of models) model.dispose();
    },
  };
}
