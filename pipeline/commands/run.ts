import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { runPipeline } from '../runner.js';
import { listStages } from '../registry.js';
import { withInterrupt } from '../interrupt.js';
import '../stages/index.js';
import { backendOption } from './decodingFlags.js';

/** `subflow run CONFIG` and `subflow stages`. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a YAML pipeline config (see config/ for commented examples)')
    .argument('<config>', 'pipeline config file')
    .addOption(backendOption('override the config backend', false))
    .option('-q, --quiet', 'no progress bars, only log lines')
    .action(async (file: string, options: { backend?: string; quiet?: boolean }) => {
      const config = await loadConfig(file);
      const results = await withInterrupt((signal) =>
        runPipeline(config, {
          backend: options.backend,
          signal,
          interactive: !options.quiet && Boolean(process.stderr.isTTY),
        }),
      );
      process.stdout.write(
        `${JSON.stringify({ pipeline: config.name, workDir: config.workDir, ...results })}\n`,
      );
    });

  program
    .command('stages')
    .description('list the stages a pipeline config can use')
    .action(() => {
      for (const stage of listStages()) process.stdout.write(`${stage.name.padEnd(16)} ${stage.summary}\n`);
    });
}
