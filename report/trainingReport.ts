import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { SubflowError } from '../errors.js';
import { attentionHeatmapSvg } from './attentionHeatmap.js';
import { readMetrics, type MetricsLine } from './metricsLog.js';
import { vegaLiteToSvg } from './vegaSvg.js';

/**
 * The training report: `<workDir>/report.html`, one self-contained page (inline SVG, no script, no
 * CDN) built from what the train stage leaves in the work folder: `metrics.jsonl` (see
 * metricsLog.ts) and `run.json` (config, backend, best checkpoint, the latest attention). Several
 * work folders make one page with their curves overlaid, to compare configs.
 */

/** File names in a work folder. */
export const METRICS_FILE = 'metrics.jsonl';
export const RUN_FILE = 'run.json';
export const REPORT_FILE = 'report.html';

/** The attention of one fixed dev sentence at a validation. */
export interface RecordedAttention {
  source: string;
  text: string;
  attention: number[][];
  sourcePieces: string[];
  targetPieces: string[];
}

/** `run.json`: what the report shows besides the curves. */
export interface RunRecord {
  /** The train stage's options, as configured (defaults filled in). */
  config: unknown;
  /** The backend line the run printed. */
  backend: string;
  parameters?: number;
  /** The best checkpoint so far: where, at which step, and its score in the early-stopping metric. */
  best?: { path: string; step: number; score?: number; metric: string };
  /** Attention of a few fixed dev sentences at the latest validation. */
  attention?: { step: number; sentences: RecordedAttention[] };
}

/** A work folder's report data. */
export interface RunData {
  name: string;
  dir: string;
  metrics: MetricsLine[];
  record?: RunRecord;
}

/** One chart per metric: the field of metrics.jsonl and how the report names it. */
export const REPORT_METRICS = [
  { field: 'loss', title: 'train loss' },
  { field: 'devLoss', title: 'dev loss' },
  { field: 'bleu', title: 'dev BLEU' },
  { field: 'chrf', title: 'dev chrF2' },
  { field: 'learningRate', title: 'learning rate' },
  { field: 'tokensPerSecond', title: 'tokens/s' },
] as const satisfies ReadonlyArray<{ field: keyof MetricsLine; title: string }>;

/**
 * Reads a work folder's metrics.jsonl and run.json.
 * @throws SubflowError FILE_NOT_FOUND when the folder has neither
 */
export function readRun(dir: string): RunData {
  const metricsPath = join(dir, METRICS_FILE);
  const runPath = join(dir, RUN_FILE);
  if (!existsSync(metricsPath) && !existsSync(runPath)) {
    throw new SubflowError('FILE_NOT_FOUND', `${dir} has no ${METRICS_FILE} or ${RUN_FILE}`, {
      file: dir,
      hint: 'give the workDir of a training run (the train stage writes both there)',
    });
  }
  let record: RunRecord | undefined;
  if (existsSync(runPath)) {
    try {
      record = JSON.parse(readFileSync(runPath, 'utf8')) as RunRecord;
    } catch (cause) {
      throw new SubflowError('FILE_UNREADABLE', `${runPath} is not valid JSON`, {
        file: runPath,
        hint: 'it is rewritten at the next validation of the run; delete it to report the curves alone',
        cause,
      });
    }
  }
  return { name: basename(resolve(dir)), dir, metrics: readMetrics(metricsPath), record };
}

/** The Vega-Lite spec of one metric against step and against wall time, one line per run. */
export function metricChartSpec(runs: readonly RunData[], field: keyof MetricsLine, title: string) {
  const values = runs.flatMap((run) =>
    run.metrics
      .filter((line) => typeof line[field] === 'number')
      .map((line) => ({
        run: run.name,
        step: line.step,
        minutes: line.wallSeconds / 60,
        value: line[field],
      })),
  );
  const panel = (x: 'step' | 'minutes', xTitle: string) => ({
    width: 320,
    height: 180,
    mark: { type: 'line' as const, point: values.length < 60 },
    encoding: {
      x: { field: x, type: 'quantitative' as const, title: xTitle },
      y: {
        field: 'value',
        type: 'quantitative' as const,
        title,
        scale: field === 'learningRate' ? { type: 'log' as const } : { zero: false },
      },
      color: { field: 'run', type: 'nominal' as const, title: 'run', legend: runs.length > 1 ? {} : null },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start' as const },
    data: { values },
    hconcat: [panel('step', 'step'), panel('minutes', 'wall time (minutes)')],
  };
}

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The report page for one or more runs (curves overlaid, then each run's details). */
export async function buildReportHtml(runs: readonly RunData[]): Promise<string> {
  const charts: string[] = [];
  const missing: string[] = [];
  for (const { field, title } of REPORT_METRICS) {
    if (!runs.some((run) => run.metrics.some((line) => typeof line[field] === 'number'))) {
      missing.push(title);
      continue;
    }
    const svg = await vegaLiteToSvg(metricChartSpec(runs, field, title));
    charts.push(`<figure class="chart" data-metric="${field}">${svg}</figure>`);
  }
  const details: string[] = [];
  for (const run of runs) details.push(await runDetailsHtml(run));
  const title = `subflow training report: ${runs.map((run) => run.name).join(', ')}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
figure { margin: 0 0 1.5rem; }
pre { background: #f4f4f4; padding: 0.75rem; overflow-x: auto; font-size: 0.85rem; }
table { border-collapse: collapse; } td, th { padding: 0.2rem 0.8rem 0.2rem 0; text-align: left; }
.heatmaps { display: flex; flex-wrap: wrap; gap: 1.5rem; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Updated ${escapeHtml(new Date().toISOString())}. Curves: ${runs.length > 1 ? 'one colour per run, ' : ''}against training step (left) and wall time (right).${
    missing.length ? ` No data yet for: ${escapeHtml(missing.join(', '))}.` : ''
  }</p>
<section id="charts">
${charts.join('\n')}
</section>
${details.join('\n')}
</body>
</html>
`;
}

async function runDetailsHtml(run: RunData): Promise<string> {
  const { record, metrics } = run;
  const last = metrics.at(-1);
  const rows: Array<[string, string]> = [
    ['folder', run.dir],
    ['backend', record?.backend ?? 'unknown'],
    ['parameters', record?.parameters?.toLocaleString('en-US') ?? 'unknown'],
    [
      'last step',
      last ? `${last.step} (epoch ${last.epoch}, ${(last.wallSeconds / 60).toFixed(1)} min)` : 'none yet',
    ],
    [
      'best checkpoint',
      record?.best
        ? `${record.best.path} at step ${record.best.step}${
            record.best.score !== undefined ? `, ${record.best.metric} ${record.best.score.toFixed(4)}` : ''
          }`
        : 'none yet',
    ],
  ];
  const heatmaps: string[] = [];
  for (const sentence of record?.attention?.sentences ?? []) {
    heatmaps.push(
      `<figure class="heatmap">${await attentionHeatmapSvg({ ...sentence, title: `${sentence.source} → ${sentence.text}` })}</figure>`,
    );
  }
  return `<section class="run">
<h2>${escapeHtml(run.name)}</h2>
<table>${rows.map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`).join('')}</table>
<h3>Attention${record?.attention ? ` at step ${record.attention.step}` : ''}</h3>
${
  heatmaps.length
    ? `<p>Each row is an output piece, each column a source piece; darker cells got more attention when that output piece was produced. A good model shows a mostly diagonal band, bending where word order differs.</p>
<div class="heatmaps">${heatmaps.join('\n')}</div>`
    : '<p>No validation with a dev set yet.</p>'
}
<h3>Config</h3>
<pre>${escapeHtml(stringify(record?.config ?? {}))}</pre>
</section>`;
}
