import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { loadModel, type TranslationModel } from '../../model/translationModel.js';
import { createServer, type SubflowServer } from '../../service/createServer.js';
import { servedModel } from '../../service/modelCatalog.js';
import { serviceSettings } from '../../service/serviceSettings.js';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';
import { SPANISH } from './spanish.js';

/** Debian's chromium (`scripts/setup.sh --with-browser`); CI sets SUBFLOW_REQUIRE_BROWSER=1 so it must be there. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FIXTURE = 'test/fixtures/subtitles/dialogue.srt';

describe('service: the web page in a headless browser', function () {
  this.timeout(300_000);
  const temp = useTempDir('subflow-web-');
  let model: TranslationModel;
  let server: SubflowServer;
  let browser: Browser;
  let url = '';

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.SUBFLOW_REQUIRE_BROWSER === '1') throw new Error(`no browser at ${CHROMIUM}`);
      console.warn(`    (no ${CHROMIUM}: run scripts/setup.sh --with-browser to run the web page tests)`);
      this.skip();
    }
    model = await loadModel();
    model.languages ??= { source: 'es', target: 'en' };
    server = await createServer([servedModel('bible-es-en', model)], serviceSettings({ log: false }));
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await server?.app.close();
    model?.dispose();
  });

  it('translates a dropped SRT, shows the cues with times, and downloads what `subflow translate` writes', async () => {
    const expectedPath = join(temp(), 'dialogue.en.srt');
    const cli = await runCli(['translate', '-q', FIXTURE, '-o', expectedPath]);
    expect(cli.code, cli.stderr).to.equal(0);

    const page = await browser.newPage({ acceptDownloads: true });
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(request.url()));
    await page.goto(url);
    await page.waitForSelector('#model option[value="bible-es-en"]', { state: 'attached' });
    // Drop the file as a user would: a drop event carrying it on the drop zone.
    const base64 = readFileSync(FIXTURE).toString('base64');
    await page.evaluate(`(() => {
      const bytes = Uint8Array.from(atob('${base64}'), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'dialogue.srt', { type: 'application/x-subrip' }));
      const drop = new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true });
      document.getElementById('drop').dispatchEvent(drop);
    })()`);
    await page.waitForSelector('#download:not([hidden])');
    const rows = await page.evaluate<string[][]>(
      `Array.from(document.querySelectorAll('#cues tbody tr'), (tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent))`,
    );
    const sourceCues = readFileSync(FIXTURE, 'utf8').match(/-->/g)!.length;
    expect(rows).to.have.length(sourceCues);
    expect(rows[0][1]).to.equal('00:00:01,000 → 00:00:03,500');
    expect(rows[0][2]).to.be.a('string').and.not.equal('');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).to.equal('dialogue.en.srt');
    const saved = join(temp(), 'downloaded.srt');
    await download.saveAs(saved);
    expect(readFileSync(saved).equals(readFileSync(expectedPath))).to.equal(true);
    expect(failed, 'the page loads nothing from elsewhere').to.deep.equal([]);
    await page.close();
  });

  it('shows the attention of a text sentence as a heatmap (target pieces × source pieces)', async () => {
    const page = await browser.newPage();
    const hosts = new Set<string>();
    page.on('request', (request) => hosts.add(new URL(request.url()).host));
    await page.goto(url);
    await page.waitForSelector('#model option[value="bible-es-en"]', { state: 'attached' });
    await page.fill('#text', SPANISH[2]);
    await page.click('#translateText');
    await page.waitForSelector('#heatmap:not([hidden])');
    const grid = await page.evaluate<number[][]>(
      `Array.from(document.querySelectorAll('#heatmapTable tbody tr'), (tr) => Array.from(tr.querySelectorAll('td'), (td) => Number(td.dataset.weight)))`,
    );
    const sourcePieces = await page.evaluate<string[]>(
      `Array.from(document.querySelectorAll('#heatmapTable thead th'), (th) => th.textContent).slice(1)`,
    );
    const translation = await page.textContent('#textResult tbody tr td:nth-child(2)');
    const response = await fetch(`${url}/v1/translate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ texts: [SPANISH[2]], alignment: true }),
    });
    const [expected] = (
      (await response.json()) as {
        translations: { text: string; alignment: { source: string[]; target: string[] } }[];
      }
    ).translations;
    expect(translation).to.equal(expected.text);
    expect(sourcePieces).to.deep.equal(expected.alignment.source);
    expect(grid).to.have.length(expected.alignment.target.length);
    for (const row of grid) {
      expect(row).to.have.length(sourcePieces.length);
      expect(row.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-3);
    }
    expect([...hosts]).to.deep.equal([new URL(url).host]);
    await page.close();
  });
});
