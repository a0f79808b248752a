import { expect } from 'chai';
import { from, lastValueFrom, toArray } from 'rxjs';
import { isSubflowError } from '../../errors.js';
import { loadModel, type TranslationModel } from '../../model/translationModel.js';
import { translate } from '../../operators/translate.js';
import { translateVia } from '../../operators/translateVia.js';
import { createServer, type SubflowServer } from '../../service/createServer.js';
import { servedModel } from '../../service/modelCatalog.js';
import { serviceSettings } from '../../service/serviceSettings.js';
import { SPANISH } from '../service/spanish.js';

describe('operators/translateVia', function () {
  this.timeout(300_000);
  let model: TranslationModel;
  let server: SubflowServer;
  let url = '';

  before(async () => {
    model = await loadModel();
    server = await createServer([servedModel('bible-es-en', model)], serviceSettings({ log: false }));
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`;
  });
  after(async () => {
    await server?.app.close();
    model?.dispose();
  });

  it('gives the same translations as translate with the model in process, in input order', async () => {
    const lines = [...SPANISH, '', ...SPANISH.slice(0, 3)];
    const remote = await lastValueFrom(
      from(lines).pipe(translateVia(url, { bufferSize: 4, nBest: 2 }), toArray()),
    );
    const local = await lastValueFrom(
      from(lines).pipe(translate(model, { bufferSize: 4, nBest: 2 }), toArray()),
    );
    expect(remote.map((t) => t.source)).to.deep.equal(lines);
    expect(remote.map((t) => t.text)).to.deep.equal(local.map((t) => t.text));
    expect(remote.map((t) => t.nBest?.map((h) => h.text))).to.deep.equal(
      local.map((t) => t.nBest?.map((h) => h.text)),
    );
    remote.forEach((t, k) => expect(t.score).to.be.closeTo(local[k].score, 1e-4));
  });

  it('fails with REMOTE_FAILED and the server’s message, or when nothing listens', async () => {
    const refused = lastValueFrom(from(['Hola.']).pipe(translateVia(url, { model: 'nope' }), toArray()));
    const error = await refused.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSubflowError(error, 'REMOTE_FAILED')).to.equal(true);
    expect((error as Error).message)
      .to.include('400')
      .and.include('no model named "nope"');
    const down = await lastValueFrom(
      from(['Hola.']).pipe(translateVia('http://127.0.0.1:1'), toArray()),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSubflowError(down, 'REMOTE_FAILED')).to.equal(true);
  });
});
