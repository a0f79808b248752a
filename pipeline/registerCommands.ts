import type { Command } from 'commander';
import { registerRunCommand } from './commands/run.js';
import { registerTokenizeCommand } from './commands/tokenize.js';
import { registerTranslateTextCommand } from './commands/translateText.js';
import { registerEvalCommand } from './commands/evaluate.js';
import { registerInspectCommand } from './commands/inspect.js';
import { registerTranslateSubtitlesCommand } from './commands/translateSubtitles.js';
import { registerExportModelCommand } from './commands/exportModel.js';
import { registerServeCommand } from './commands/serve.js';
import { registerReportCommand } from './commands/report.js';
import { registerCompareModelsCommand } from './commands/compareModels.js';
import { registerQueueCommand } from './commands/queue.js';
import { registerWorkerCommand } from './commands/worker.js';

/** Adds every subcommand to the program; each lives in pipeline/commands/NAME.ts. */
export function registerCommands(program: Command): void {
  registerRunCommand(program);
  registerTokenizeCommand(program);
  registerTranslateTextCommand(program);
  registerEvalCommand(program);
  registerInspectCommand(program);
  registerTranslateSubtitlesCommand(program);
  registerExportModelCommand(program);
  registerServeCommand(program);
  registerReportCommand(program);
  registerCompareModelsCommand(program);
  registerQueueCommand(program);
  registerWorkerCommand(program);
}
