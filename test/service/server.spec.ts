import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { translate as libreTranslate } from 'libretranslate';
import { loadModel, type TranslationModel } from '../../model/translationModel.js';
import { translateSentences } from '../../model/translateSentences.js';
import { createServer, type SubflowServer } from '../../service/createServer.js';
import { servedModel, type ServedModel } from '../../service/modelCatalog.js';
import { serviceSettings, type ServiceLimits, type ServiceSettings } from '../../service/serviceSettings.js';
import { runCli } from '../helpers/runCli.js';
import { useTempDir } from '../helpers/tempDir.js';
import { SPANISH } from './spanish.js';

const FIXTURES = 'test/fixtures/subtitles';

/** A response's JSON body, loosely typed: the assertions check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (response: Response): Promise<any> => response.json();

interface Listening {
  server: SubflowServer;
  url: string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
}

describe('service: subflow serve over HTTP', function () {
  this.timeout(300_000);
  const temp = useTempDir('subflow-serve-');
  let model: TranslationModel;
  let esEn: ServedModel;
  const open: Listening[] = [];

  /** A server on a free loopback port with these settings (and models). */
  async function listen(
    overrides: Partial<Omit<ServiceSettings, 'limits'>> & { limits?: Partial<ServiceLimits> } = {},
    models: ServedModel[] = [esEn],
  ): Promise<Listening> {
    const server = await createServer(models, serviceSettings({ port: 0, log: false, ...overrides }));
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const address = server.app.server.address() as { port: number };
    const url = `http://127.0.0.1:${address.port}`;
    const listening: Listening = {
      server,
      url,
      post: (path, body, headers = {}) =>
        fetch(url + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
    };
    open.push(listening);
    return listening;
  }

  let main: Listening;
  before(async () => {
    model = await loadModel();
    // The bundled model's model.json names es→en once the language pair is in checkpoints.
    model.languages ??= { source: 'es', target: 'en' };
    esEn = servedModel('bible-es-en', model);
    main = await listen();
  });
  after(async () => {
    for (const { server } of open) await server.app.close();
    model?.dispose();
  });

  const alone = async (texts: string[], beam = 5) =>
    (await translateSentences(model, texts, { beam })).map((t) => t.text);

  describe('health, readiness, models, metrics', () => {
    it('answers /health, /ready and /v1/models', async () => {
      expect(await json(await fetch(`${main.url}/health`))).to.deep.equal({ status: 'ok' });
      const ready = await fetch(`${main.url}/ready`);
      expect(ready.status).to.equal(200);
      expect((await json(ready)).models).to.deep.equal(['bible-es-en']);
      const { models } = await json(await fetch(`${main.url}/v1/models`));
      expect(models).to.have.length(1);
      expect(models[0]).to.include({ name: 'bible-es-en', backend: model.backend.name });
      expect(models[0].languages).to.deep.equal({ source: 'es', target: 'en' });
      expect(models[0].parameters).to.equal(model.model.countParameters());
      expect(models[0].sizeBytes).to.be.greaterThan(1_000_000);
      expect(JSON.stringify(models)).to.not.include(model.dir);
    });

    it('answers unknown routes with 404 in JSON', async () => {
      const response = await fetch(`${main.url}/v2/nothing`);
      expect(response.status).to.equal(404);
      expect((await json(response)).error).to.include('/v2/nothing');
    });

    it('serves Prometheus metrics with the request, batch, queue and sentence counts', async () => {
      await main.post('/v1/translate', { texts: [SPANISH[0]] });
      const response = await fetch(`${main.url}/metrics`);
      expect(response.headers.get('content-type')).to.include('text/plain');
      const text = await response.text();
      for (const name of [
        'subflow_http_requests_total{route="/v1/translate",status="200"}',
        'subflow_http_request_duration_seconds_bucket',
        'subflow_batch_sentences_bucket',
        'subflow_batch_tokens_bucket',
        'subflow_queue_sentences 0',
        'subflow_requests_in_flight 0',
        'subflow_sentences_translated_total{model="bible-es-en"}',
        'subflow_tokens_translated_total{model="bible-es-en"}',
        'subflow_process_resident_memory_bytes',
      ]) {
        expect(text).to.include(name);
      }
      // Every batch decoded, so the tokens translated are the tokens batched: source pieces + EOS each.
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      const translated = value('subflow_tokens_translated_total\\{model="bible-es-en"\\}');
      expect(translated).to.be.greaterThan(model.sourceTokenizer.encode(SPANISH[0]).length);
      expect(translated).to.equal(value('subflow_batch_tokens_sum'));
    });
  });

  describe('POST /v1/translate', () => {
    it('translates texts in order, as decoding them alone does', async () => {
      const response = await main.post('/v1/translate', { texts: SPANISH.slice(0, 4) });
      expect(response.status).to.equal(200);
      const body = await json(response);
      expect(body.model).to.equal('bible-es-en');
      expect(body.translations.map((t: { text: string }) => t.text)).to.deep.equal(
        await alone(SPANISH.slice(0, 4)),
      );
      for (const t of body.translations) expect(t.score).to.be.a('number').below(0);
    });

    it('returns n-best lists and attention alignments on request', async () => {
      const response = await main.post('/v1/translate', {
        texts: [SPANISH[2]],
        beam: 3,
        nBest: 3,
        alignment: true,
        source: 'es',
        target: 'en',
      });
      const [t] = (await json(response)).translations;
      expect(t.nBest).to.have.length(3);
      expect(t.nBest[0].text).to.equal(t.text);
      const { source, target, weights } = t.alignment;
      expect(source.at(-1)).to.equal('</s>');
      expect(weights).to.have.length(target.length);
      for (const row of weights) {
        expect(row).to.have.length(source.length);
        expect(row.reduce((a: number, b: number) => a + b, 0)).to.be.closeTo(1, 1e-3);
      }
    });

    it('refuses malformed JSON and wrong types with 400 naming the field', async () => {
      const cases: [unknown, string][] = [
        [{}, 'texts'],
        [{ texts: 'Hola' }, 'texts'],
        [{ texts: ['Hola', 3] }, 'texts.1'],
        [{ texts: ['Hola'], beam: '5' }, 'beam'],
        [{ texts: ['Hola'], beam: 0 }, 'beam'],
        [{ texts: ['Hola'], alignment: 'yes' }, 'alignment'],
        [{ texts: ['Hola'], model: 'es-en' }, 'model'],
        [{ texts: ['Hola'], model: '../../etc/passwd' }, 'model'],
        [{ texts: ['Hola'], target: 'fr' }, 'target'],
        [{ texts: ['Hola'], beam: 2, nBest: 3 }, 'nBest'],
        [{ texts: ['Hola'], beam: 17 }, 'beam'],
      ];
      for (const [body, field] of cases) {
        const response = await main.post('/v1/translate', body);
        const answer = await json(response);
        expect(response.status, JSON.stringify(body)).to.equal(400);
        expect(answer.field, JSON.stringify(body)).to.equal(field);
        expect(answer.error).to.be.a('string');
      }
      const extra = await main.post('/v1/translate', { texts: ['Hola'], path: '/etc' });
      expect(extra.status).to.equal(400);
      expect((await json(extra)).error).to.include('additional');
      const broken = await main.post('/v1/translate', '{"texts": ["Hola",');
      expect(broken.status).to.equal(400);
      expect((await json(broken)).error).to.include('not valid JSON');
    });

    it('gives 64 concurrent clients exactly their own translations, in order', async () => {
      const clients = Array.from({ length: 64 }, (_, k) =>
        Array.from({ length: 1 + (k % 3) }, (_, i) => SPANISH[(k + 5 * i) % SPANISH.length]),
      );
      const expected = new Map<string, string>();
      const texts = [...new Set(clients.flat())];
      (await alone(texts)).forEach((text, k) => expected.set(texts[k], text));
      const answers = await Promise.all(
        clients.map(async (texts) => {
          const response = await main.post('/v1/translate', { texts });
          expect(response.status).to.equal(200);
          return (await json(response)).translations.map((t: { text: string }) => t.text);
        }),
      );
      answers.forEach((answer, k) => expect(answer).to.deep.equal(clients[k].map((s) => expected.get(s))));
      expect(main.server.service.queuedSentences).to.equal(0);
    });

    it('is not disturbed by a client that disconnects mid-request', async () => {
      const expected = await alone(SPANISH.slice(0, 3));
      const port = new URL(main.url).port;
      const leaving = new Promise<void>((resolve) => {
        const request = httpRequest({
          host: '127.0.0.1',
          port,
          path: '/v1/translate',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        });
        request.on('error', () => resolve());
        request.end(
          JSON.stringify({ texts: Array.from({ length: 200 }, (_, k) => SPANISH[k % SPANISH.length]) }),
          () => {
            request.destroy();
            resolve();
          },
        );
      });
      const others = Promise.all(
        [0, 1, 2].map(async () => {
          const response = await main.post('/v1/translate', { texts: SPANISH.slice(0, 3) });
          return (await json(response)).translations.map((t: { text: string }) => t.text);
        }),
      );
      await leaving;
      for (const answer of await others) expect(answer).to.deep.equal(expected);
      // The departed client's sentences leave the queue: a later request is answered and nothing is left.
      const after = await main.post('/v1/translate', { texts: [SPANISH[0]] });
      expect(after.status).to.equal(200);
      expect(main.server.service.queuedSentences).to.equal(0);
    });
  });

  describe('limits', () => {
    it('413 for a body, a text count or a text length over the limit, the limit named', async () => {
      const small = await listen({ limits: { bodyLimitBytes: 1000, maxTexts: 3, maxTextChars: 50 } });
      const body = await small.post('/v1/translate', { texts: ['x'.repeat(2000)] });
      expect(body.status).to.equal(413);
      expect((await json(body)).error).to.include('1000 bytes');
      const many = await small.post('/v1/translate', { texts: ['a', 'b', 'c', 'd'] });
      expect(many.status).to.equal(413);
      expect((await json(many)).error).to.include('limit is 3');
      const long = await small.post('/v1/translate', { texts: ['a', 'y'.repeat(51)] });
      expect(long.status).to.equal(413);
      expect((await json(long)).error)
        .to.include('texts[1]')
        .and.include('50');
      const lt = await small.post('/translate', { q: ['a', 'b', 'c', 'd'], source: 'es', target: 'en' });
      expect(lt.status).to.equal(413);
      expect((await json(lt)).error).to.include('limit is 3');
    });

    it('429 with Retry-After when the queue is full or too many requests are in flight', async () => {
      const tight = await listen({ limits: { maxQueuedSentences: 2, maxInFlight: 1 } });
      const full = await tight.post('/v1/translate', { texts: ['a', 'b', 'c'] });
      expect(full.status).to.equal(429);
      expect(Number(full.headers.get('retry-after'))).to.be.at.least(1);
      expect((await json(full)).error).to.include('limit 2');
      const release = tight.server.service.admit(1); // one request in flight
      try {
        const busy = await tight.post('/v1/translate', { texts: ['a'] });
        expect(busy.status).to.equal(429);
        expect(busy.headers.get('retry-after')).to.match(/^\d+$/);
        expect((await json(busy)).error).to.include('in flight');
      } finally {
        release();
      }
      expect((await tight.post('/v1/translate', { texts: [SPANISH[5]] })).status).to.equal(200);
    });

    it('504 when a request is not answered in time, and its sentences leave the queue', async () => {
      // One sentence per batch: between the first batch (well over 1 ms of decoding) and the next the
      // event loop runs timers, so the 1 ms timeout fires before the last text is decoded.
      const slow = await listen({ maxBatchTokens: 1, limits: { requestTimeoutMs: 1 } });
      const response = await slow.post('/v1/translate', { texts: SPANISH.slice(0, 3) });
      expect(response.status).to.equal(504);
      expect((await json(response)).error).to.include('1 ms');
      expect(slow.server.service.queuedSentences).to.equal(0);
    });

    it('CORS is off by default and on for the origin given', async () => {
      const preflight = (url: string) =>
        fetch(`${url}/v1/translate`, {
          method: 'OPTIONS',
          headers: { origin: 'https://editor.example', 'access-control-request-method': 'POST' },
        });
      expect((await preflight(main.url)).headers.get('access-control-allow-origin')).to.equal(null);
      const withCors = await listen({ corsOrigin: 'https://editor.example' });
      expect((await preflight(withCors.url)).headers.get('access-control-allow-origin')).to.equal(
        'https://editor.example',
      );
    });

    it('API keys: 403 without a valid key, each key limited to its requests per minute', async () => {
      const keyed = await listen({
        apiKeys: new Map([
          ['key-one-12345', 2],
          ['key-two-12345', 60],
        ]),
      });
      const texts = [SPANISH[5]];
      const none = await keyed.post('/v1/translate', { texts });
      expect(none.status).to.equal(403);
      expect((await json(none)).error).to.include('API key');
      expect((await keyed.post('/v1/translate', { texts, api_key: 'wrong-key-123' })).status).to.equal(403);
      expect((await keyed.post('/translate', { q: 'Hola', source: 'es', target: 'en' })).status).to.equal(
        403,
      );
      expect(
        (await keyed.post('/v1/translate', { texts }, { 'x-api-key': 'key-one-12345' })).status,
      ).to.equal(200);
      expect(
        (await keyed.post('/translate', { q: 'Hola', source: 'es', target: 'en', api_key: 'key-one-12345' }))
          .status,
      ).to.equal(200);
      const third = await keyed.post('/v1/translate', { texts }, { authorization: 'Bearer key-one-12345' });
      expect(third.status).to.equal(429);
      expect(Number(third.headers.get('retry-after'))).to.be.greaterThan(0);
      expect((await json(third)).error).to.include('2 requests per minute');
      // Another key has its own budget; routes that do not translate need no key.
      expect(
        (await keyed.post('/v1/translate', { texts }, { 'x-api-key': 'key-two-12345' })).status,
      ).to.equal(200);
      expect((await fetch(`${keyed.url}/health`)).status).to.equal(200);
      expect((await fetch(`${keyed.url}/languages`)).status).to.equal(200);
    });
  });

  describe('POST /v1/subtitles', () => {
    const cliTranslate = async (fixture: string, ...flags: string[]) => {
      const out = join(temp(), `${fixture}.${flags.join('')}.out`);
      const ext = flags.includes('vtt') ? 'vtt' : fixture.split('.').pop();
      const target = `${out}.${ext}`;
      const result = await runCli(['translate', '-q', join(FIXTURES, fixture), '-o', target, ...flags]);
      expect(result.code, result.stderr).to.equal(0);
      return readFileSync(target);
    };

    it('returns byte for byte what `subflow translate` writes (raw body and multipart)', async () => {
      for (const [fixture, type] of [
        ['dialogue.srt', 'application/x-subrip'],
        ['styled.ass', 'text/x-ssa'],
        ['captions.vtt', 'text/vtt'],
      ]) {
        const bytes = readFileSync(join(FIXTURES, fixture));
        const response = await fetch(`${main.url}/v1/subtitles?name=${fixture}`, {
          method: 'POST',
          headers: { 'content-type': type },
          body: bytes,
        });
        expect(response.status, fixture).to.equal(200);
        const served = Buffer.from(await response.arrayBuffer());
        expect(served.equals(await cliTranslate(fixture)), fixture).to.equal(true);
        expect(response.headers.get('content-disposition')).to.include(fixture.replace(/\.\w+$/, '.en.'));
      }
      const form = new FormData();
      form.append('file', new Blob([readFileSync(join(FIXTURES, 'dialogue.srt'))]), 'dialogue.srt');
      form.append('format', 'vtt');
      const multipart = await fetch(`${main.url}/v1/subtitles`, { method: 'POST', body: form });
      expect(multipart.status).to.equal(200);
      expect(multipart.headers.get('content-type')).to.include('text/vtt');
      const vtt = Buffer.from(await multipart.arrayBuffer());
      expect(vtt.equals(await cliTranslate('dialogue.srt', '--format', 'vtt'))).to.equal(true);
    });

    it('422 with the problems `subflow inspect` lists (line numbers) for a malformed or unreadable file', async () => {
      const malformed = readFileSync(join(FIXTURES, 'malformed.srt'));
      const strict = await fetch(`${main.url}/v1/subtitles?strict=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-subrip' },
        body: malformed,
      });
      expect(strict.status).to.equal(422);
      const { problems } = await json(strict);
      const inspect = await runCli(['inspect', join(FIXTURES, 'malformed.srt')]);
      const listed = inspect.stdout
        .split('\n')
        .filter((line) => line.startsWith('  warning: '))
        .map((line) => line.replace('  warning: ', ''));
      expect(
        problems.map((p: { line: number; message: string }) => `line ${p.line}: ${p.message}`),
      ).to.deep.equal(listed);
      const garbage = await fetch(`${main.url}/v1/subtitles`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'no subtitles here\n',
      });
      expect(garbage.status).to.equal(422);
      expect((await json(garbage)).error).to.include('format');
      const noFile = await fetch(`${main.url}/v1/subtitles`, { method: 'POST', body: new FormData() });
      expect(noFile.status).to.equal(400);
      const badField = new FormData();
      badField.append('file', new Blob([malformed]), 'malformed.srt');
      badField.append('beam', 'many');
      const badBeam = await fetch(`${main.url}/v1/subtitles`, { method: 'POST', body: badField });
      expect(badBeam.status).to.equal(400);
      expect((await json(badBeam)).field).to.equal('beam');
      const badFormat = await fetch(`${main.url}/v1/subtitles?format=docx`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-subrip' },
        body: malformed,
      });
      expect(badFormat.status).to.equal(400);
      expect((await json(badFormat)).field).to.equal('format');
    });
  });

  describe('LibreTranslate-compatible API', () => {
    it('POST /translate answers q as a string or an array, and GET /languages lists the pairs', async () => {
      const one = await main.post('/translate', { q: SPANISH[0], source: 'es', target: 'en' });
      expect(await json(one)).to.deep.equal({ translatedText: (await alone([SPANISH[0]]))[0] });
      const many = await main.post('/translate', {
        q: SPANISH.slice(0, 2),
        source: 'es',
        target: 'en',
        format: 'text',
      });
      expect((await json(many)).translatedText).to.deep.equal(await alone(SPANISH.slice(0, 2)));
      const form = await fetch(`${main.url}/translate`, {
        method: 'POST',
        body: new URLSearchParams({ q: SPANISH[1], source: 'auto', target: 'en' }),
      });
      const answer = await json(form);
      expect(answer.translatedText).to.equal((await alone([SPANISH[1]]))[0]);
      expect(answer.detectedLanguage).to.deep.equal({ confidence: 100, language: 'es' });
      const languages = await json(await fetch(`${main.url}/languages`));
      expect(languages).to.deep.equal([
        { code: 'en', name: 'English', targets: [] },
        { code: 'es', name: 'Spanish', targets: ['en'] },
      ]);
    });

    it('keeps HTML tags with format html, and returns alternatives', async () => {
      const html = await main.post('/translate', {
        q: `<b>${SPANISH[3]}</b>`,
        source: 'es',
        target: 'en',
        format: 'html',
        alternatives: 2,
      });
      const answer = await json(html);
      expect(answer.translatedText).to.match(/^<b>.+<\/b>$/);
      expect(answer.alternatives).to.have.length(2);
    });

    it('LibreTranslate errors: 400 with { error } for a missing field, an unknown pair, or auto among several models', async () => {
      const missing = await main.post('/translate', { source: 'es', target: 'en' });
      expect(missing.status).to.equal(400);
      expect(Object.keys(await json(missing))).to.include('error');
      const pair = await main.post('/translate', { q: 'Hola', source: 'fr', target: 'en' });
      expect(pair.status).to.equal(400);
      expect((await json(pair)).error).to.include('fr');
      const two = await listen({}, [esEn, servedModel('second', model)]);
      const auto = await two.post('/translate', { q: 'Hola', source: 'auto', target: 'en' });
      expect(auto.status).to.equal(400);
      expect((await json(auto)).error).to.include('auto');
      const byName = await two.post('/v1/translate', { texts: ['Hola'], model: 'second' });
      expect((await json(byName)).model).to.equal('second');
    });

    it('round-trips through the libretranslate client library from npm', async () => {
      const text = await libreTranslate({ query: SPANISH[4], source: 'es', target: 'en', apiurl: main.url });
      expect(text).to.equal((await alone([SPANISH[4]]))[0]);
      const auto = await libreTranslate({ query: SPANISH[6], target: 'en', apiurl: main.url });
      expect(auto).to.equal((await alone([SPANISH[6]]))[0]);
    });
  });
});
