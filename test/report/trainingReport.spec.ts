import { expect } from 'chai';
import { copyFileSync, existsSync, mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type DefaultTreeAdapterMap } from 'parse5';
import { MetricsRecorder, readMetrics, type MetricsLine } from '../../report/metricsLog.js';
import { REPORT_METRICS } from '../../report/trainingReport.js';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';
import { toyConfigYaml } from '../helpers/toyConfig.js';

type Node = DefaultTreeAdapterMap['node'];

/** Parses `html` with parse5, failing on any parse error; returns every element. */
function parseStrict(html: string): DefaultTreeAdapterMap['element'][] {
  const errors: string[] = [];
  const document = parse(html, {
    onParseError: (error) => errors.push(`${error.code} at line ${error.startLine}`),
  });
  expect(errors, 'HTML parse errors').to.deep.equal([]);
  const elements: DefaultTreeAdapterMap['element'][] = [];
  const walk = (node: Node) => {
    if ('tagName' in node) elements.push(node);
    if ('childNodes' in node) for (const child of node.childNodes) walk(child);
    if ('content' in node && node.content) walk(node.content as Node);
  };
  walk(document);
  return elements;
}

const attr = (element: DefaultTreeAdapterMap['element'], name: string) =>
  element.attrs.find((a) => a.name === name)?.value;

describe('training report', function () {
  this.timeout(300_000);
  const dir = useTempDir('subflow-report-');

  it('writes one metrics line per log window and per validation', () => {
    const path = join(dir(), 'unit.jsonl');
    const recorder = new MetricsRecorder(path, 2);
    const step = (n: number, loss: number) => ({
      kind: 'step' as const,
      step: n,
      epoch: 1,
      loss,
      tokensPerSecond: 100 * n,
      learningRate: 0.001,
    });
    recorder.record(step(1, 4));
    recorder.record(step(2, 2));
    recorder.record({ kind: 'validation', step: 2, epoch: 1, validLoss: 3.5, bleu: 1.5, chrf: 10 });
    recorder.record(step(3, 1));
    recorder.record({ kind: 'checkpoint', step: 3, epoch: 1, checkpoint: 'last' });
    recorder.record(step(4, 3));
    const lines = readMetrics(path);
    expect(lines.map(({ wallSeconds: _w, ...rest }) => rest)).to.deep.equal([
      { event: 'log', step: 2, epoch: 1, loss: 3, learningRate: 0.001, tokensPerSecond: 150 },
      { event: 'validation', step: 2, epoch: 1, devLoss: 3.5, bleu: 1.5, chrf: 10 },
      { event: 'log', step: 4, epoch: 1, loss: 2, learningRate: 0.001, tokensPerSecond: 350 },
    ]);
    // A resumed run keeps the lines up to its checkpoint's step.
    expect(new MetricsRecorder(path, 2, 3).lines.map((l) => l.step)).to.deep.equal([2, 2]);
  });

  it('a training run keeps metrics.jsonl, run.json and a valid, self-contained report.html, each replaced atomically', async () => {
    const config = join(dir(), 'toy.yaml');
    writeFileSync(
      config,
      toyConfigYaml(
        `maxSteps: 8
validateEvery: 4
checkpointEvery: 4
logEvery: 2
bleuSentences: 20
reportSentences: 2`,
      ),
    );
    const workDir = join(dir(), 'run');
    mkdirSync(workDir, { recursive: true });
    // In-place writes show up as 'change' events on the file itself; temp + rename never does.
    const changed: string[] = [];
    const renamed: string[] = [];
    const watcher = watch(workDir, (event, file) =>
      (event === 'change' ? changed : renamed).push(String(file)),
    );
    const result = await runCli(['run', config]);
    watcher.close();
    expect(result.code, result.stderr).to.equal(0);
    for (const file of ['metrics.jsonl', 'run.json', 'report.html']) {
      expect(existsSync(join(workDir, file)), file).to.equal(true);
      expect(changed, `${file} written in place`).to.not.include(file);
      expect(
        renamed.some((name) => name.startsWith(`.${file}.tmp`)),
        `${file} via a temp file`,
      ).to.equal(true);
    }

    // metrics.jsonl holds what the trainer logged: a validation line per "validation at step N" line.
    const lines = readMetrics(join(workDir, 'metrics.jsonl'));
    const logged = [
      ...result.stderr.matchAll(/validation at step (\d+): loss ([\d.]+), BLEU ([\d.]+), chrF2 ([\d.]+)/g),
    ];
    const validations = lines.filter((line) => line.event === 'validation');
    expect(logged.length).to.be.above(1);
    expect(
      validations.map((v) => [v.step, v.devLoss!.toFixed(3), v.bleu!.toFixed(2), v.chrf!.toFixed(2)]),
    ).to.deep.equal(logged.map((m) => [Number(m[1]), m[2], m[3], m[4]]));
    expect(lines.filter((line) => line.event === 'log').map((line) => line.step)).to.deep.equal([2, 4, 6, 8]);
    const wall = lines.map((line) => line.wallSeconds);
    expect(wall).to.deep.equal([...wall].sort((a, b) => a - b));

    const record = JSON.parse(readFileSync(join(workDir, 'run.json'), 'utf8')) as {
      backend: string;
      best: { step: number };
      attention: { step: number; sentences: unknown[] };
    };
    expect(record.backend).to.match(/backend wasm/);
    expect(record.attention.step).to.equal(8);
    expect(record.attention.sentences).to.have.length(2);

    const html = readFileSync(join(workDir, 'report.html'), 'utf8');
    const elements = parseStrict(html);
    const charts = elements.filter((e) => e.tagName === 'figure' && attr(e, 'class') === 'chart');
    expect(charts.map((e) => attr(e, 'data-metric'))).to.deep.equal(REPORT_METRICS.map((m) => m.field));
    for (const chart of charts)
      expect(chart.childNodes.some((c) => 'tagName' in c && c.tagName === 'svg')).to.equal(true);
    expect(elements.filter((e) => e.tagName === 'figure' && attr(e, 'class') === 'heatmap')).to.have.length(
      2,
    );
    // Self-contained: no script, no external stylesheet, image or link to load.
    expect(elements.filter((e) => e.tagName === 'script' || e.tagName === 'link')).to.deep.equal([]);
    for (const element of elements) {
      for (const name of ['src', 'href', 'xlink:href'])
        expect(attr(element, name) ?? '').to.not.match(/^(https?:)?\/\//);
    }
    expect(html).to.include(record.backend.split(',')[0]).and.include('checkpoints/best');

    // A rerun with more steps resumes: earlier lines stay, none is repeated.
    writeFileSync(config, readFileSync(config, 'utf8').replace('maxSteps: 8', 'maxSteps: 10'));
    const second = await runCli(['run', '-q', config]);
    expect(second.code, second.stderr).to.equal(0);
    const resumed = readMetrics(join(workDir, 'metrics.jsonl'));
    expect(resumed.slice(0, lines.length)).to.deep.equal(lines);
    expect(resumed.filter((line) => line.event === 'log').map((line) => line.step)).to.deep.equal([
      2, 4, 6, 8, 10,
    ]);
  });

  it('subflow report rebuilds a run and overlays several runs on one page', async () => {
    const runA = join(dir(), 'run');
    const runB = join(dir(), 'other');
    mkdirSync(runB, { recursive: true });
    copyFileSync(join(runA, 'run.json'), join(runB, 'run.json'));
    const shifted: MetricsLine[] = readMetrics(join(runA, 'metrics.jsonl')).map((l) => ({
      ...l,
      loss: l.loss && l.loss + 1,
    }));
    writeFileSync(join(runB, 'metrics.jsonl'), shifted.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const out = join(dir(), 'compare.html');
    const result = await runCli(['report', runA, runB, '--out', out]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout.trim()).to.equal(out);
    const html = readFileSync(out, 'utf8');
    const elements = parseStrict(html);
    expect(elements.filter((e) => e.tagName === 'section' && attr(e, 'class') === 'run')).to.have.length(2);
    const loss = charts(elements, 'loss');
    // The legend names both runs.
    expect(loss).to.include('>run</text>').and.include('>other</text>');

    const missing = await runCli(['report', join(dir(), 'nothing-here')]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/has no metrics\.jsonl or run\.json/);
  });

  // The browser set-up (scripts/setup.sh --with-browser: /usr/bin/chromium and playwright-core) is
  // optional; without either there is no browser to drive, and the test is skipped.
  it('renders in a headless browser with no console errors (skipped without /usr/bin/chromium and playwright-core)', async function () {
    const chromium = '/usr/bin/chromium';
    if (!existsSync(chromium)) this.skip();
    let playwright: PlaywrightChromium;
    try {
      ({ chromium: playwright } = (await import('playwright-core' as string)) as {
        chromium: PlaywrightChromium;
      });
    } catch {
      this.skip();
    }
    const browser = await playwright.launch({ executablePath: chromium });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(`file://${join(dir(), 'run', 'report.html')}`);
      expect(await page.locator('figure.chart svg').count()).to.equal(REPORT_METRICS.length);
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });
});

interface PlaywrightChromium {
  launch(options: object): Promise<{ newPage(): Promise<BrowserPage>; close(): Promise<void> }>;
}

interface BrowserPage {
  on(event: 'console', listener: (message: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', listener: (error: Error) => void): void;
  goto(url: string): Promise<unknown>;
  locator(selector: string): { count(): Promise<number> };
}

/** The markup of the chart figure for `metric`. */
function charts(elements: DefaultTreeAdapterMap['element'][], metric: string): string {
  const figure = elements.find((e) => e.tagName === 'figure' && attr(e, 'data-metric') === metric)!;
  const texts: string[] = [];
  const walk = (node: Node) => {
    if (node.nodeName === '#text') texts.push(`>${(node as DefaultTreeAdapterMap['textNode']).value}</text>`);
    if ('childNodes' in node) for (const child of node.childNodes) walk(child);
  };
  walk(figure);
  return texts.join('');
}
