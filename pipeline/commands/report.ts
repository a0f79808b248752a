import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { buildReportHtml, readRun, REPORT_FILE } from '../../report/trainingReport.js';
import { writeTextFile } from '../../text/textOutput.js';

interface ReportFlags {
  out?: string;
}

/**
 * `subflow report RUN_DIR… [--out FILE]`: rebuilds the training report from the metrics.jsonl and
 * run.json of one work folder (into its report.html), or overlays several runs on one page.
 */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('rebuild the training report (report.html) of a run, or compare several runs on one page')
    .argument('<runDirs...>', 'work folders of training runs (each holds metrics.jsonl and run.json)')
    .option(
      '-o, --out <file>',
      `where to write the page (default: RUN_DIR/${REPORT_FILE} for one run, ./${REPORT_FILE} for several); written via a temp file`,
    )
    .action(async (runDirs: string[], flags: ReportFlags) => {
      const runs = runDirs.map(readRun);
      const out = resolve(flags.out ?? (runDirs.length === 1 ? join(runDirs[0], REPORT_FILE) : REPORT_FILE));
      await writeTextFile(out, await buildReportHtml(runs));
      process.stderr.write(`report: ${runs.length} run${runs.length > 1 ? 's' : ''} → ${out}\n`);
      process.stdout.write(`${out}\n`);
    });
}
