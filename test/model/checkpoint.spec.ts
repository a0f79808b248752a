import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { assignWeights, loadCheckpoint, saveCheckpoint } from '../../model/checkpoint.js';
import { float16ToFloat32, float32ToFloat16 } from '../../model/checkpointFormat.js';
import { Trainer } from '../../model/trainer.js';
import { isSubflowError, type SubflowErrorCode } from '../../errors.js';
import { FakeModel, MODEL_KINDS, reverseBatches, tempFolder, useCpuBackend } from './fakeModel.js';

function expectCode(action: () => unknown, code: SubflowErrorCode, pattern?: RegExp): void {
  expect(action)
    .to.throw()
    .that.satisfies(
      (e: unknown) => isSubflowError(e, code) && (pattern === undefined || pattern.test(e.message)),
    );
}

describe('model/checkpoint', () => {
  let dir: string;
  let cleanup: () => void;
  before(useCpuBackend);
  beforeEach(() => ({ dir, cleanup } = tempFolder()));
  afterEach(() => cleanup());

  for (const kind of MODEL_KINDS) {
    it(`save → load gives identical logits (${kind.name})`, () => {
      const model = kind.create(1);
      const copy = kind.create(2);
      const [batch] = reverseBatches(1, 7);
      const folder = path.join(dir, 'ck');
      saveCheckpoint(folder, model, { training: { step: 3, epoch: 1, backend: tf.getBackend() } });
      const loaded = loadCheckpoint(folder);
      expect(loaded.model.modelConfig).to.deep.equal(model.config);
      expect(loaded.model.training?.step).to.equal(3);
      assignWeights(copy, loaded);
      const expected = model.logits(batch);
      const actual = copy.logits(batch);
      expect(Array.from(actual.dataSync())).to.deep.equal(Array.from(expected.dataSync()));
      tf.dispose([expected, actual]);
      model.dispose();
      copy.dispose();
    });
  }

  it('writes the documented files and manifest, copies the tokenizers, and leaves no temp folders', () => {
    const model = MODEL_KINDS[0].create();
    fs.writeFileSync(path.join(dir, 'src.model'), 'spm-source');
    fs.writeFileSync(path.join(dir, 'tgt.model'), 'spm-target');
    const folder = path.join(dir, 'runs', 'last');
    const tokenizers = { source: path.join(dir, 'src.model'), target: path.join(dir, 'tgt.model') };
    saveCheckpoint(folder, model, { tokenizers });
    saveCheckpoint(folder, model, { tokenizers }); // replaces the first one in place
    expect(fs.readdirSync(folder).sort()).to.deep.equal([
      'model.json',
      'source.model',
      'target.model',
      'weights.bin',
    ]);
    expect(fs.readdirSync(path.dirname(folder))).to.deep.equal(['last']);
    const json = JSON.parse(fs.readFileSync(path.join(folder, 'model.json'), 'utf8'));
    expect(json).to.include({ format: 'subflow-checkpoint', version: 1 });
    expect(json.tokenizers).to.deep.equal({ source: 'source.model', target: 'target.model' });
    const first = json.weights[0];
    expect(first).to.have.keys(['name', 'shape', 'dtype', 'offset', 'byteLength']);
    expect(fs.statSync(path.join(folder, 'weights.bin')).size).to.equal(model.countParameters() * 4);
    const loaded = loadCheckpoint(folder);
    expect(fs.readFileSync(loaded.tokenizerPaths!.target, 'utf8')).to.equal('spm-target');
    model.dispose();
  });

  it('stores float16 at half the size and widens it back to float32 within half precision', () => {
    const model = MODEL_KINDS[1].create();
    const folder = path.join(dir, 'half');
    saveCheckpoint(folder, model, { weightsDtype: 'float16' });
    expect(fs.statSync(path.join(folder, 'weights.bin')).size).to.equal(model.countParameters() * 2);
    const loaded = loadCheckpoint(folder);
    for (const [name, variable] of model.variables) {
      const saved = loaded.weights.get(name)!.values;
      variable.dataSync().forEach((x, i) => expect(saved[i]).to.be.closeTo(x, Math.abs(x) * 2 ** -11 + 1e-7));
    }
    model.dispose();
  });

  it('converts known float16 values exactly (normal, subnormal, rounding to even, overflow)', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds up to Infinity
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000], // halfway to the smallest subnormal: ties to even (0)
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even
      [1 + 3 * 2 ** -11, 0x3c02],
      [0.1, 0x2e66],
    ];
    for (const [value, bits] of cases) expect(float32ToFloat16(value), String(value)).to.equal(bits);
    expect(float16ToFloat32(0x2e66)).to.be.closeTo(0.0999755859375, 1e-12);
    expect(float16ToFloat32(0x7c00)).to.equal(Infinity);
    expect(float16ToFloat32(float32ToFloat16(NaN))).to.be.NaN;
  });

  it('keeps the optimiser and trainer state for resuming', () => {
    const model = MODEL_KINDS[0].create();
    const trainer = new Trainer(model, { schedule: { kind: 'plateau' } });
    for (const batch of reverseBatches(2, 3)) trainer.step(batch);
    const state = trainer.getState();
    const resume = {
      ...state,
      epoch: 2,
      batchesInEpoch: 5,
      bestScore: 1.5,
      bestStep: 2,
      badValidations: 1,
      elapsedMs: 1234,
    };
    const folder = path.join(dir, 'last');
    saveCheckpoint(folder, model, { resume });
    const loaded = loadCheckpoint(folder, { resume: true });
    expect(loaded.resume).to.deep.equal(resume);
    expect(() => loadCheckpoint(folder)).not.to.throw();
    trainer.dispose();
    model.dispose();
  });

  it('records the language pair in model.json; a folder without one (older) still loads', () => {
    const model = MODEL_KINDS[0].create();
    const folder = path.join(dir, 'pair');
    saveCheckpoint(folder, model, { languages: { source: 'es', target: 'en' } });
    const json = JSON.parse(fs.readFileSync(path.join(folder, 'model.json'), 'utf8'));
    expect(json.languages).to.deep.equal({ source: 'es', target: 'en' });
    expect(loadCheckpoint(folder).model.languages).to.deep.equal({ source: 'es', target: 'en' });
    const older = path.join(dir, 'older');
    saveCheckpoint(older, model);
    expect(JSON.parse(fs.readFileSync(path.join(older, 'model.json'), 'utf8'))).to.not.have.property(
      'languages',
    );
    expect(loadCheckpoint(older).model.languages).to.equal(undefined);
    model.dispose();
  });

  it('the bundled model says es → en, and editing model.json leaves the weights hash valid', () => {
    const bundled = fileURLToPath(new URL('../../models/bible-es-en/', import.meta.url));
    const loaded = loadCheckpoint(bundled);
    expect(loaded.model.languages).to.deep.equal({ source: 'es', target: 'en' });
  });

  describe('damaged and foreign folders', () => {
    let model: FakeModel;
    let folder: string;
    beforeEach(() => {
      model = MODEL_KINDS[0].create() as FakeModel;
      folder = path.join(dir, 'ck');
      saveCheckpoint(folder, model);
    });
    afterEach(() => model.dispose());

    it('a missing folder is FILE_NOT_FOUND', () => {
      expectCode(() => loadCheckpoint(path.join(dir, 'nope')), 'FILE_NOT_FOUND', /does not exist/);
    });

    it('a folder without model.json, or with another format, is MODEL_INVALID', () => {
      const foreign = path.join(dir, 'foreign');
      fs.mkdirSync(foreign);
      fs.writeFileSync(path.join(foreign, 'weights.bin'), '');
      expectCode(() => loadCheckpoint(foreign), 'MODEL_INVALID', /no model\.json/);
      fs.writeFileSync(
        path.join(foreign, 'model.json'),
        JSON.stringify({ format: 'layers-model', modelTopology: {} }),
      );
      expectCode(() => loadCheckpoint(foreign), 'MODEL_INVALID', /format "layers-model"/);
    });

    it('a language pair that is not two ISO 639-1 codes is MODEL_INVALID naming the field', () => {
      const file = path.join(folder, 'model.json');
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      for (const languages of [{ source: 'spa', target: 'en' }, { source: 'es' }, 'es-en']) {
        fs.writeFileSync(file, JSON.stringify({ ...json, languages }));
        expectCode(() => loadCheckpoint(folder), 'MODEL_INVALID', /languages/);
      }
    });

    it('hints name the real checkpoint layout, and the best checkpoint of a run folder given instead', () => {
      const hintOf = (action: () => unknown): string => {
        try {
          action();
        } catch (error) {
          return isSubflowError(error) ? (error.hint ?? '') : '';
        }
        return '';
      };
      expect(hintOf(() => loadCheckpoint(path.join(dir, 'nope')))).to.include('runs/NAME/checkpoints/best');
      const run = path.join(dir, 'runs', 'x');
      fs.mkdirSync(path.join(run, 'checkpoints'), { recursive: true });
      saveCheckpoint(path.join(run, 'checkpoints', 'best'), model);
      expect(hintOf(() => loadCheckpoint(run))).to.include(path.join(run, 'checkpoints', 'best'));
      expect(hintOf(() => loadCheckpoint(path.join(run, 'checkpoints')))).to.include(
        path.join(run, 'checkpoints', 'best'),
      );
      const noDev = path.join(dir, 'runs', 'nodev', 'checkpoints');
      saveCheckpoint(path.join(noDev, 'last'), model);
      expect(hintOf(() => loadCheckpoint(path.join(noDev, 'best')))).to.match(
        /no best\/ .*dev split.*checkpoints\/last/,
      );
    });

    it('a newer version is MODEL_INVALID with an upgrade hint', () => {
      const file = path.join(folder, 'model.json');
      fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), version: 2 }));
      expectCode(() => loadCheckpoint(folder), 'MODEL_INVALID', /version 2/);
    });

    it('a corrupted weights.bin (one byte flipped) is CHECKPOINT_CORRUPT by its sha256', () => {
      const file = path.join(folder, 'weights.bin');
      const bytes = fs.readFileSync(file);
      bytes[10] ^= 0xff;
      fs.writeFileSync(file, bytes);
      expectCode(() => loadCheckpoint(folder), 'CHECKPOINT_CORRUPT', /weights\.bin is damaged: sha256/);
    });

    it('a truncated weights.bin or model.json is CHECKPOINT_CORRUPT', () => {
      const weights = path.join(folder, 'weights.bin');
      fs.truncateSync(weights, fs.statSync(weights).size - 4);
      expectCode(() => loadCheckpoint(folder), 'CHECKPOINT_CORRUPT', /truncated/);
      const json = path.join(folder, 'model.json');
      fs.truncateSync(json, 40);
      expectCode(() => loadCheckpoint(folder), 'CHECKPOINT_CORRUPT', /invalid JSON/);
    });

    it('a checkpoint of another shape is MODEL_MISMATCH naming the variables and shapes', () => {
      const other = new FakeModel({ srcVocab: 16, tgtVocab: 20, embedding: 8, dropout: 0 });
      const loaded = loadCheckpoint(folder);
      expectCode(
        () => assignWeights(other, loaded),
        'MODEL_MISMATCH',
        /fake\/tgtEmbedding is \[16,8\] in the checkpoint but \[20,8\] in the model/,
      );
      other.dispose();
    });

    it('resuming from a weights-only folder says trainer.json is missing', () => {
      expectCode(() => loadCheckpoint(folder, { resume: true }), 'FILE_NOT_FOUND', /no trainer\.json/);
    });

    it('never replaces a folder it did not write', () => {
      const foreign = path.join(dir, 'mine');
      fs.mkdirSync(foreign);
      fs.writeFileSync(path.join(foreign, 'notes.txt'), 'keep me');
      expectCode(() => saveCheckpoint(foreign, model), 'OUTPUT_NOT_WRITABLE', /not a subflow checkpoint/);
      expect(fs.readFileSync(path.join(foreign, 'notes.txt'), 'utf8')).to.equal('keep me');
    });

    it('after a save killed between its renames, loading falls back to the previous complete folder', () => {
      // The state a crash leaves: the old folder moved aside, the new one not yet renamed in.
      fs.renameSync(folder, path.join(dir, '.ck.previous'));
      fs.mkdirSync(path.join(dir, '.ck.tmp-99999'));
      const loaded = loadCheckpoint(folder);
      expect(loaded.dir).to.equal(path.join(dir, '.ck.previous'));
      saveCheckpoint(folder, model); // the next save cleans up after the crash
      expect(fs.readdirSync(dir)).to.deep.equal(['ck']);
    });
  });
});
