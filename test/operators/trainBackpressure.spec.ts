import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, map, tap, toArray } from 'rxjs';
import { bucketBatch } from '../../operators/bucketBatch.js';
import { FlowGate } from '../../flowGate.js';
import { readParallel } from '../../operators/readParallel.js';
import { trainEpochs } from '../../operators/train.js';
import { EOS_ID, type EncodedPair } from '../../types.js';
import { FakeModel, useCpuBackend } from '../model/fakeModel.js';
import { useTempDir } from '../helpers/tempDir.js';

describe('train with a gated reader (bounded memory)', () => {
  const dir = useTempDir();
  before(useCpuBackend);

  it('keeps the reader only a bounded number of batches ahead of training', async () => {
    const lines = 20_000;
    const text = Array.from({ length: lines }, (_, i) => `${4 + (i % 10)} ${5 + (i % 7)}`).join('\n');
    const source = join(dir(), 'big.src');
    const target = join(dir(), 'big.tgt');
    writeFileSync(source, text);
    writeFileSync(target, text);
    const gate = new FlowGate();
    let read = 0;
    let maxAhead = 0;
    let trainedRows = 0;
    const rowsPerBatch = 8;
    const toIds = (line: string): Int32Array => Int32Array.from([...line.split(' ').map(Number), EOS_ID]);
    const batches = () =>
      readParallel({ source, target, gate }).pipe(
        tap(() => (read += 1)),
        map((pair): EncodedPair => ({ src: toIds(pair.src), tgt: toIds(pair.tgt), origin: pair.origin })),
        bucketBatch({ maxTokens: 1000, maxBatchSize: rowsPerBatch, poolSize: rowsPerBatch, shuffle: false }),
      );
    const model = new FakeModel({ srcVocab: 16, tgtVocab: 16, embedding: 4, dropout: 0 });
    await lastValueFrom(
      trainEpochs(model, () => batches(), { maxSteps: 200, gate }).pipe(
        tap((event) => {
          if (event.kind !== 'step') return;
          trainedRows = event.step * rowsPerBatch;
          maxAhead = Math.max(maxAhead, read - trainedRows);
        }),
        toArray(),
      ),
    );
    model.dispose();
    // Without the gate the reader runs through all 20,000 lines while the first steps train.
    expect(maxAhead).to.be.below(100 * rowsPerBatch);
    expect(read).to.be.below(lines / 2);
  });
});
