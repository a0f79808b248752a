import { expect } from 'chai';
import { cpSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isSubflowError, type SubflowErrorCode } from '../../errors.js';
import { loadModel, type TranslationModel } from '../../model/translationModel.js';
import { translate, translateInChunks } from '../../operators/translate.js';
import { translateSentences, type TranslationWarning } from '../../model/translateSentences.js';
import { SeededRandom } from '../../random.js';
import { splitLongText } from '../../text/splitLongText.js';
import { useTempDir } from '../helpers/tempDir.js';
import { numberPair, reverseTranslation, tinyCheckpoint } from './tinyCheckpoint.js';

async function expectCode(promise: Promise<unknown>, code: SubflowErrorCode): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(isSubflowError(error, code), `${String(error)} should have code ${code}`).to.equal(true);
    return error as Error;
  }
  throw new Error(`expected an error with code ${code}`);
}

function sentences(count: number, seed: number): string[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, () => numberPair(rng).src);
}

describe('operators/translate', function () {
  // Building the checkpoint trains a tiny model once per run (~30 s of CPU; longer on a loaded machine).
  this.timeout(600_000);
  const temp = useTempDir();
  let checkpointDir: string;
  let model: TranslationModel;

  before(async () => {
    checkpointDir = await tinyCheckpoint();
    model = await loadModel(checkpointDir, { backend: 'wasm' });
  });
  after(() => model?.dispose());

  describe('loadModel', () => {
    it('loads the model, both tokenizers and the training metadata', () => {
      expect(model.model.config.embedding).to.equal(32);
      expect(model.sourceTokenizer.vocabSize).to.equal(model.model.config.srcVocab);
      expect(model.targetTokenizer.vocabSize).to.equal(model.model.config.tgtVocab);
      expect(model.metadata?.step).to.be.greaterThan(0);
      expect(model.backend.name).to.equal('wasm');
    });

    it('says clearly when the folder is missing, foreign or damaged', async () => {
      await expectCode(loadModel(join(temp(), 'nowhere'), { backend: 'current' }), 'FILE_NOT_FOUND');
      const copy = (name: string) => {
        const dir = join(temp(), name);
        cpSync(checkpointDir, dir, { recursive: true });
        return dir;
      };
      const foreign = copy('foreign');
      rmSync(join(foreign, 'model.json'));
      const error = await expectCode(loadModel(foreign, { backend: 'current' }), 'MODEL_INVALID');
      expect(error.message).to.include('model.json');
      const truncated = copy('truncated');
      truncateSync(join(truncated, 'weights.bin'), 100);
      expect(
        (await expectCode(loadModel(truncated, { backend: 'current' }), 'CHECKPOINT_CORRUPT')).message,
      ).to.include('weights.bin');
      const noTokenizer = copy('no-tokenizer');
      rmSync(join(noTokenizer, 'target.model'));
      expect(
        (await expectCode(loadModel(noTokenizer, { backend: 'current' }), 'CHECKPOINT_CORRUPT')).message,
      ).to.include('target.model');
      const badJson = copy('bad-json');
      writeFileSync(join(badJson, 'model.json'), '{ "format": "subflow-checkpoint", ');
      await expectCode(loadModel(badJson, { backend: 'current' }), 'CHECKPOINT_CORRUPT');
    });
  });

  describe('translateSentences', () => {
    it('translates the task it was trained on (mostly right)', async () => {
      const inputs = sentences(30, 21);
      const results = await translateSentences(model, inputs, { beam: 3 });
      const right = results.filter((t, i) => t.text === reverseTranslation(inputs[i])).length;
      expect(right).to.be.at.least(24);
      results.forEach((t, i) => expect(t.source).to.equal(inputs[i]));
    });

    it('gives the same translations batched and one at a time, in input order', async () => {
      const inputs = sentences(12, 22);
      for (const beam of [1, 4]) {
        const batched = await translateSentences(model, inputs, { beam, batchSize: 5, maxTokens: 30 });
        for (const [i, input] of inputs.entries()) {
          const [single] = await translateSentences(model, [input], { beam });
          expect(batched[i].text).to.equal(single.text);
          expect(batched[i].score).to.be.closeTo(single.score, 1e-4);
        }
      }
    });

    it('returns n-best lists sorted by score, the first equal to the translation', async () => {
      const results = await translateSentences(model, sentences(6, 23), { beam: 4, nBest: 4 });
      for (const t of results) {
        expect(t.nBest).to.have.length(4);
        expect(t.nBest![0]).to.deep.equal({ text: t.text, score: t.score });
        for (let i = 1; i < 4; i++) expect(t.nBest![i - 1].score).to.be.at.least(t.nBest![i].score);
      }
    });

    it('gives an empty translation for an empty line without decoding it', async () => {
      const results = await translateSentences(model, ['', 'dos tres', '   '], { beam: 2 });
      expect(results.map((t) => t.text)).to.deep.equal(['', 'three two', '']);
      expect(results[0]).to.deep.equal({ source: '', text: '', score: 0 });
    });

    it('translates an over-long line in parts under the limit, joined in order, so no text is lost', async () => {
      const warnings: TranslationWarning[] = [];
      const count = (text: string) => model.sourceTokenizer.encode(text).length;
      // Sentences first, then runs of words without punctuation: both kinds of cut.
      const spoken = sentences(12, 25)
        .map((s) => `${s}.`)
        .join(' ');
      const unpunctuated = sentences(15, 26).join(' ');
      const lines = ['dos', spoken, unpunctuated];
      const maxSourceLength = 8;
      expect(count(spoken)).to.be.greaterThan(3 * maxSourceLength);
      const results = await translateSentences(model, lines, {
        beam: 2,
        maxSourceLength,
        onWarning: (w) => warnings.push(w),
      });
      expect(results.map((t) => t.source)).to.deep.equal(lines);
      expect(warnings.map((w) => w.index)).to.deep.equal([1, 2]);
      for (const index of [1, 2]) {
        const parts = splitLongText(lines[index], maxSourceLength, count).map((part) => part.trim());
        expect(parts.length).to.be.greaterThan(2);
        expect(warnings[index - 1].message).to.include(`in ${parts.length} parts`);
        const one = await translateSentences(model, parts, { beam: 2 });
        for (const t of one) expect(t.text, t.source).to.not.equal('');
        // Each part is decoded as a sentence of its own, under its own 2·len+10 output limit.
        expect(results[index].text).to.equal(one.map((t) => t.text).join(' '));
        expect(results[index].score).to.be.closeTo(
          one.reduce((sum, t) => sum + t.score, 0),
          1e-3,
        );
      }
    });

    it('gives n-best lists and attention for a line translated in parts', async () => {
      const line = sentences(10, 27).join(' ');
      const [t] = await translateSentences(model, [line], {
        beam: 3,
        nBest: 3,
        maxSourceLength: 6,
        returnAttention: true,
        replaceUnk: true,
      });
      expect(t.nBest![0]).to.deep.equal({ text: t.text, score: t.score });
      for (let i = 1; i < 3; i++) expect(t.nBest![i - 1].score).to.be.at.least(t.nBest![i].score);
      const count = (text: string) => model.sourceTokenizer.encode(text).length;
      const parts = splitLongText(line, 6, count);
      // Each part adds its own EOS position; rows span every part's positions (zero outside its own).
      const sourcePositions = parts.reduce((sum, part) => sum + count(part) + 1, 0);
      expect(t.attention!.length).to.be.greaterThan(0);
      for (const row of t.attention!) {
        expect(row).to.have.length(sourcePositions);
        expect(row.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-3);
      }
    });

    it('respects the maximum output length', async () => {
      const [t] = await translateSentences(model, ['uno dos tres cuatro'], {
        maxLengthRatio: 0,
        maxLengthConstant: 2,
        returnTokenLogProbs: true,
      });
      expect(model.targetTokenizer.encode(t.text).length).to.be.at.most(2);
      expect(t.tokenLogProbs!.length).to.be.at.most(3);
    });

    it('returns attention rows over the source and leaks no tensors', async () => {
      const before = tf.memory().numTensors;
      const [t] = await translateSentences(model, ['uno dos'], {
        beam: 2,
        returnAttention: true,
        replaceUnk: true,
      });
      expect(tf.memory().numTensors).to.equal(before);
      const sourceTokens = model.sourceTokenizer.encode('uno dos').length + 1;
      for (const row of t.attention!) expect(row).to.have.length(sourceTokens);
    });

    it('stops between batches when its signal is aborted, decoding no later batch', async () => {
      const aborted = new AbortController();
      aborted.abort();
      await expectCode(translateSentences(model, ['uno'], { signal: aborted.signal }), 'INTERRUPTED');

      // Abort while the first of three batches is being decoded: the search encodes once per batch.
      const controller = new AbortController();
      let encoded = 0;
      const counting = Object.create(model.model) as typeof model.model;
      counting.encode = (src, srcLen) => {
        encoded += 1;
        controller.abort();
        return model.model.encode(src, srcLen);
      };
      const run = translateSentences({ ...model, model: counting }, sentences(3, 5), {
        batchSize: 1,
        signal: controller.signal,
      });
      await expectCode(run, 'INTERRUPTED');
      expect(encoded, 'batches decoded').to.equal(1);
    });
  });

  describe('translate operator', () => {
    it('translates a stream in input order, equal to translateSentences', async () => {
      const inputs = ['', ...sentences(20, 24)];
      const expected = await translateSentences(model, inputs, { beam: 2 });
      const streamed = await lastValueFrom(
        from(inputs).pipe(translate(model, { beam: 2, bufferSize: 7 }), toArray()),
      );
      // Batches of other compositions round differently in the matmuls (OpenBLAS picks its blocking
      // by shape), so scores agree to float precision and everything else exactly.
      const withoutScore = (list: typeof expected): object[] =>
        list.map(({ score: _score, ...rest }) => rest);
      expect(withoutScore(streamed)).to.deep.equal(withoutScore(expected));
      streamed.forEach((t, i) => expect(t.score, `sentence ${i}`).to.be.closeTo(expected[i].score, 1e-5));
    });

    it('is cold and reusable, and reports warnings with stream positions', async () => {
      const warnings: number[] = [];
      const inputs = ['uno', 'dos', 'tres', 'uno dos tres cuatro cinco seis siete ocho'];
      const maxSourceLength = Math.max(
        ...inputs.slice(0, 3).map((s) => model.sourceTokenizer.encode(s).length),
      );
      const operator = translate(model, {
        bufferSize: 2,
        maxSourceLength,
        onWarning: (w) => warnings.push(w.index),
      });
      const first = await lastValueFrom(from(inputs).pipe(operator, toArray()));
      const second = await lastValueFrom(from(inputs).pipe(operator, toArray()));
      expect(second).to.deep.equal(first);
      expect(warnings).to.deep.equal([3, 3]);
    });

    it('stops translating when unsubscribed', async () => {
      const lines = new Subject<string>();
      const seen: string[] = [];
      const subscription = lines
        .pipe(translate(model, { bufferSize: 100, flushAfterMs: 5 }))
        .subscribe((t) => seen.push(t.text));
      lines.next('uno');
      subscription.unsubscribe();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seen).to.deep.equal([]);
      expect(lines.observed).to.equal(false);
    });
  });

  describe('chunking (marble tests)', () => {
    /** One output per chunk, so the marbles show where chunks were cut. */
    const joinChunk = (lines: string[]) => [[lines.join('+')]];
    const testScheduler = () =>
      new TestScheduler((actual, expected) => {
        expect(actual).to.deep.equal(expected);
      });

    it('flushes a full buffer at once, a partial one flushAfterMs after its first line, the rest on complete', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        // a, b, c at frames 0–2, d at 23, e at 124, complete at 125
        const source = cold('a b c 20ms d 100ms e|');
        const operator = translateInChunks(joinChunk, { bufferSize: 3, flushAfterMs: 10 });
        expectObservable(source.pipe(operator)).toBe('--x 30ms y 91ms (z|)', { x: 'a+b+c', y: 'd', z: 'e' });
      });
    });

    it('keeps chunks in order and unsubscribes from the source when unsubscribed', () => {
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('a b c d e f');
        const operator = translateInChunks(joinChunk, { bufferSize: 2, flushAfterMs: Infinity });
        expectObservable(source.pipe(operator), '^---!').toBe('-x-y', { x: 'a+b', y: 'c+d' });
        expectSubscriptions(source.subscriptions).toBe('^---!');
      });
    });

    it('cancels the flush timer on unsubscribe', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('a 50ms b');
        const operator = translateInChunks(joinChunk, { bufferSize: 10, flushAfterMs: 10 });
        expectObservable(source.pipe(operator), '^ 5ms !').toBe('');
      });
    });
  });
});
