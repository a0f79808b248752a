import { expect } from 'chai';
import { lastValueFrom, map, Subject, toArray, type Observable, type ObservableInput } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  batchRequests,
  type BatchableRequest,
  type BatchInfo,
  type BatchOutcome,
  type BatchRequestsOptions,
} from '../../operators/batchRequests.js';
import { loadModel, type TranslationModel } from '../../model/translationModel.js';
import { translateSentences } from '../../model/translateSentences.js';
import type { Translation } from '../../types.js';

interface Request extends BatchableRequest {
  name: string;
}

const request = (name: string, count: number, extra: Partial<Request> = {}): Request => ({
  name,
  sentences: Array.from({ length: count }, (_, i) => `${name}${i}`),
  ...extra,
});

/** Outcomes as `name:result,result` strings, so marbles compare readable values. */
const show = (outcome: BatchOutcome<Request, string>) =>
  'results' in outcome
    ? `${outcome.request.name}:${outcome.results.join(',')}`
    : `${outcome.request.name}!${String(outcome.error)}`;

describe('operators/batchRequests', () => {
  let virtual: TestScheduler;
  const testScheduler = () =>
    (virtual = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    }));
  // The operator's default scheduler takes its turn before a batch in real time (setImmediate), so the
  // marble tests hand it the TestScheduler.
  const batchVirtual = (
    decode: (sentences: string[], first: Request) => ObservableInput<string[]>,
    options: BatchRequestsOptions<Request> = {},
  ) => batchRequests<Request, string>(decode, { scheduler: virtual, ...options });

  /** A decoder taking `frames` frames per batch that records each batch with its start frame. */
  function recordingDecoder(
    cold: (marbles: string, values: Record<string, string[]>) => Observable<string[]>,
    frames: number,
  ) {
    const batches: string[] = [];
    const decode = (sentences: string[]) => {
      batches.push(sentences.join('+'));
      return cold(`${'-'.repeat(frames)}(a|)`, { a: sentences.map((s) => s.toUpperCase()) });
    };
    return { batches, decode };
  }

  describe('with the default options', () => {
    it('hands a lone request to an idle decoder at once, together with those of the same turn', () => {
      const scheduler = testScheduler();
      let seen: string[] = [];
      scheduler.run(({ cold, hot, expectObservable, flush }) => {
        const { batches, decode } = recordingDecoder(cold, 2);
        seen = batches;
        const source = hot<Request>('(ab) 10ms c', {
          a: request('a', 1),
          b: request('b', 2),
          c: request('c', 1),
        });
        // a and b arrive in frame 0 and go out together at once; c, alone at frame 11, goes at once too.
        expectObservable(source.pipe(batchVirtual(decode), map(show))).toBe('--(ab) 10ms c', {
          a: 'a:A0',
          b: 'b:B0,B1',
          c: 'c:C0',
        });
        flush();
      });
      expect(seen).to.deep.equal(['a0+b0+b1', 'c0']);
    });

    it('sends the requests that arrived during a decode together, as soon as the decoder is free', () => {
      const scheduler = testScheduler();
      let seen: string[] = [];
      const starts: number[] = [];
      scheduler.run(({ cold, hot, expectObservable, flush }) => {
        const { batches, decode } = recordingDecoder(cold, 4);
        seen = batches;
        const source = hot<Request>('a-b-c 10ms d', {
          a: request('a', 1),
          b: request('b', 1),
          c: request('c', 1),
          d: request('d', 1),
        });
        const output = source.pipe(
          batchVirtual((sentences) => {
            starts.push(scheduler.now());
            return decode(sentences);
          }),
          map(show),
        );
        // a decodes over frames 0–4; b and c, queued meanwhile, go together at 4 and are back at 8; d
        // (frame 15, past the 5 ms wait for two requests after b+c) finds the decoder idle and goes at once.
        expectObservable(output).toBe('----a---(bc)-------d', { a: 'a:A0', b: 'b:B0', c: 'c:C0', d: 'd:D0' });
        flush();
      });
      expect(seen).to.deep.equal(['a0', 'b0+c0', 'd0']);
      expect(starts).to.deep.equal([0, 4, 15]);
    });

    it('keeps to the token budget when the decoder frees up with more than a batch queued', () => {
      const scheduler = testScheduler();
      const batches: BatchInfo[] = [];
      scheduler.run(({ cold, hot, expectObservable, flush }) => {
        const { decode } = recordingDecoder(cold, 2);
        const source = hot<Request>('a-(bcd)', {
          a: request('a', 1),
          b: request('b', 2),
          c: request('c', 1),
          d: request('d', 2),
        });
        const output = source.pipe(
          batchVirtual(decode, {
            maxBatchTokens: 3,
            tokenCount: () => 1,
            onBatch: (batch) => void batches.push(batch),
          }),
          map(show),
        );
        // At frame 2, 5 sentences wait: b0+c0+d0 go at 2 (budget 3), b1+d1 right after, at 4.
        expectObservable(output).toBe('--a-c-(bd)', { a: 'a:A0', b: 'b:B0,B1', c: 'c:C0', d: 'd:D0,D1' });
        flush();
      });
      expect(batches.map((b) => [b.sentences, b.tokens, b.requests])).to.deep.equal([
        [1, 1, 1],
        [3, 3, 3],
        [2, 2, 2],
      ]);
    });

    it('releases everything on unsubscribe: the source, the decode in progress, the queued sentences', () => {
      let calls = 0;
      const queued: number[] = [];
      testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const work = cold<string[]>('---(a|)', { a: ['A0'] });
        const source = hot<Request>('ab', { a: request('a', 1), b: request('b', 1) });
        const decode = () => {
          calls += 1;
          return work;
        };
        const output = source.pipe(
          batchVirtual(decode, { onQueueLength: (n) => void queued.push(n) }),
          map(show),
        );
        expectObservable(output, '^-!').toBe('');
        expectSubscriptions(work.subscriptions).toBe('^-!');
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
      // a went to the decoder at frame 0; b, queued at frame 1, was never handed out.
      expect(calls).to.equal(1);
      expect(queued).to.deep.equal([1, 0, 1]);
    });

    it('answers only the request of a failing batch with its error; those queued meanwhile go next', () => {
      testScheduler().run(({ cold, hot, expectObservable }) => {
        const decode = (sentences: string[]) =>
          sentences.includes('bad0')
            ? cold<string[]>('--#', undefined, 'boom')
            : cold('----(a|)', { a: sentences.map((s) => s.toUpperCase()) });
        const source = hot<Request>('xbc', {
          x: request('bad', 1),
          b: request('b', 1),
          c: request('c', 1),
        });
        // bad goes alone at frame 0 and fails at 2; b and c, queued meanwhile, go together at 2.
        expectObservable(source.pipe(batchVirtual(decode), map(show))).toBe('--x---(bc)', {
          x: 'bad!boom',
          b: 'b:B0',
          c: 'c:C0',
        });
      });
    });
  });

  describe('maxWaitMs: after a batch, waiting for as many new requests as it answered', () => {
    it('holds the next batch until the clients of the last one are back', () => {
      const scheduler = testScheduler();
      let seen: string[] = [];
      scheduler.run(({ cold, hot, expectObservable, flush }) => {
        const { batches, decode } = recordingDecoder(cold, 2);
        seen = batches;
        const source = hot<Request>('(ab)c-d', {
          a: request('a', 1),
          b: request('b', 1),
          c: request('c', 1),
          d: request('d', 1),
        });
        const output = source.pipe(batchVirtual(decode, { maxWaitMs: 5 }), map(show));
        // a+b come back at 2 (two answered): c (frame 4) is held until d (frame 6) makes two, back at 8.
        expectObservable(output).toBe('--(ab)--(cd)', { a: 'a:A0', b: 'b:B0', c: 'c:C0', d: 'd:D0' });
        flush();
      });
      expect(seen).to.deep.equal(['a0+b0', 'c0+d0']);
    });

    it('waits for the clients of the last batch besides the requests queued while it ran, so groups merge', () => {
      const scheduler = testScheduler();
      let seen: string[] = [];
      scheduler.run(({ cold, hot, expectObservable, flush }) => {
        const { batches, decode } = recordingDecoder(cold, 6);
        seen = batches;
        const source = hot<Request>('(ab)(cd)-(ef)', {
          a: request('a', 1),
          b: request('b', 1),
          c: request('c', 1),
          d: request('d', 1),
          e: request('e', 1),
          f: request('f', 1),
        });
        const output = source.pipe(batchVirtual(decode, { maxWaitMs: 5 }), map(show));
        // a+b come back at 6 with c+d queued since 4: the next batch waits for two more, e+f at 9, and
        // all four go together (back at 15) instead of c+d alone and e+f after them.
        expectObservable(output).toBe('------(ab)-----(cdef)', {
          a: 'a:A0',
          b: 'b:B0',
          c: 'c:C0',
          d: 'd:D0',
          e: 'e:E0',
          f: 'f:F0',
        });
        flush();
      });
      expect(seen).to.deep.equal(['a0+b0', 'c0+d0+e0+f0']);
    });

    it('counts requests read right after a blocking decode as queued during it, not as its clients back', async () => {
      // Real event loop, as in the server: decoding blocks it, so requests that arrived meanwhile are only
      // read afterwards (here: timers due during the decode). a+b's clients send e and f once answered.
      const batches: string[] = [];
      const source = new Subject<Request>();
      const output = source.pipe(
        batchRequests<Request, string>(
          (sentences) => {
            batches.push(sentences.join('+'));
            if (batches.length === 1) {
              setTimeout(() => ['c', 'd'].forEach((name) => source.next(request(name, 1))), 1);
              const until = Date.now() + 20;
              while (Date.now() < until); // the blocking decode
            }
            return [sentences.map((sentence) => sentence.toUpperCase())];
          },
          { maxWaitMs: 2_000 },
        ),
        map(show),
      );
      const answers: string[] = [];
      const done = new Promise<void>((resolve) =>
        output.subscribe((answer) => {
          answers.push(answer);
          if (answer === 'b:B0')
            setTimeout(() => ['e', 'f'].forEach((name) => source.next(request(name, 1))), 1);
          if (answers.length === 6) resolve();
        }),
      );
      source.next(request('a', 1));
      source.next(request('b', 1));
      await done;
      expect(batches).to.deep.equal(['a0+b0', 'c0+d0+e0+f0']);
    });

    it('holds at most maxWaitMs after the last batch, and a lone client, answered alone, not at all', () => {
      const scheduler = testScheduler();
      let seen: string[] = [];
      scheduler.run(({ cold, hot, expectObservable, flush }) => {
        const { batches, decode } = recordingDecoder(cold, 2);
        seen = batches;
        const source = hot<Request>('(ab)c 5ms d', {
          a: request('a', 1),
          b: request('b', 1),
          c: request('c', 1),
          d: request('d', 1),
        });
        const output = source.pipe(batchVirtual(decode, { maxWaitMs: 5 }), map(show));
        // c (frame 4) waits for a second request until 2 + 5 = 7, back at 9; that batch answered one, so
        // d (frame 10) goes at once.
        expectObservable(output).toBe('--(ab)---c--d', { a: 'a:A0', b: 'b:B0', c: 'c:C0', d: 'd:D0' });
        flush();
      });
      expect(seen).to.deep.equal(['a0+b0', 'c0', 'd0']);
    });
  });

  it('hands a batch out as soon as the token budget is queued, and holds at most the budget', () => {
    const scheduler = testScheduler();
    const batches: BatchInfo[] = [];
    scheduler.run(({ cold, hot, expectObservable, flush }) => {
      const { decode } = recordingDecoder(cold, 1);
      const source = hot<Request>('a', { a: request('a', 5) });
      const output = source.pipe(
        batchVirtual(decode, {
          maxWaitMs: 100,
          maxBatchTokens: 4,
          tokenCount: () => 2,
          onBatch: (batch) => void batches.push(batch),
        }),
      );
      // 10 tokens queued at frame 0: batches of two sentences at 0, 1, 2, the last one at frame 3.
      expectObservable(output.pipe(map(show))).toBe('---x', { x: 'a:A0,A1,A2,A3,A4' });
      flush();
    });
    expect(batches).to.deep.equal([
      { sentences: 2, tokens: 4, requests: 1 },
      { sentences: 2, tokens: 4, requests: 1 },
      { sentences: 1, tokens: 2, requests: 1 },
    ]);
  });

  it('interleaves requests so that a large one cannot starve small ones', () => {
    const scheduler = testScheduler();
    let seen: string[] = [];
    scheduler.run(({ cold, hot, expectObservable, flush }) => {
      const { batches, decode } = recordingDecoder(cold, 2);
      seen = batches;
      const source = hot<Request>('a b c', { a: request('a', 8), b: request('b', 1), c: request('c', 2) });
      const output = source.pipe(
        batchVirtual(decode, { maxWaitMs: 0, maxBatchTokens: 2, tokenCount: () => 1 }),
      );
      // b and c arrive while a's first batch decodes; they are answered long before a is.
      expectObservable(output.pipe(map(show))).toBe('----b---c---a', {
        a: 'a:A0,A1,A2,A3,A4,A5,A6,A7',
        b: 'b:B0',
        c: 'c:C0,C1',
      });
      flush();
    });
    expect(seen).to.deep.equal(['a0+a1', 'a2+b0', 'c0+a3', 'c1+a4', 'a5+a6', 'a7']);
  });

  it('turns batching off with maxBatchTokens 0: one sentence per batch', () => {
    const scheduler = testScheduler();
    let seen: string[] = [];
    scheduler.run(({ cold, hot, expectObservable, flush }) => {
      const { batches, decode } = recordingDecoder(cold, 1);
      seen = batches;
      const source = hot<Request>('(ab)', { a: request('a', 2), b: request('b', 1) });
      const output = source.pipe(batchVirtual(decode, { maxWaitMs: 5, maxBatchTokens: 0 }));
      // b, queued when a's first sentence goes, takes its turn before a's second (round robin).
      expectObservable(output.pipe(map(show))).toBe('--ba', { a: 'a:A0,A1', b: 'b:B0' });
      flush();
    });
    expect(seen).to.deep.equal(['a0', 'b0', 'a1']);
  });

  it('drops a cancelled request’s queued sentences and emits nothing for it', () => {
    const scheduler = testScheduler();
    let seen: string[] = [];
    scheduler.run(({ cold, hot, expectObservable, flush }) => {
      const { batches, decode } = recordingDecoder(cold, 3);
      seen = batches;
      const controller = new AbortController();
      const source = hot<Request>('a b', {
        a: request('a', 6, { signal: controller.signal }),
        b: request('b', 2),
      });
      cold('--x').subscribe(() => controller.abort());
      const output = source.pipe(
        batchVirtual(decode, { maxWaitMs: 0, maxBatchTokens: 2, tokenCount: () => 1 }),
      );
      // a0+a1 is already decoding when a is cancelled at frame 2: its results are dropped.
      expectObservable(output.pipe(map(show))).toBe('------b', { b: 'b:B0,B1' });
      flush();
    });
    expect(seen).to.deep.equal(['a0+a1', 'b0+b1']);
  });

  it('never mixes groups in a batch', () => {
    const scheduler = testScheduler();
    let seen: string[] = [];
    scheduler.run(({ cold, hot, expectObservable, flush }) => {
      const { batches, decode } = recordingDecoder(cold, 4);
      seen = batches;
      const source = hot<Request>('(abc)', {
        a: request('a', 1, { group: 'beam5' }),
        b: request('b', 1, { group: 'beam1' }),
        c: request('c', 1, { group: 'beam5' }),
      });
      const output = source.pipe(batchVirtual(decode, { maxWaitMs: 0 }));
      expectObservable(output.pipe(map(show))).toBe('----(ac)b', { a: 'a:A0', b: 'b:B0', c: 'c:C0' });
      flush();
    });
    expect(seen).to.deep.equal(['a0+c0', 'b0']);
  });

  it('fails only the requests of a failing batch and answers empty requests at once', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const decode = (sentences: string[]) =>
        sentences.includes('bad0')
          ? cold<string[]>('-#', undefined, 'boom')
          : cold('-(a|)', { a: sentences });
      const source = cold<Request>('a--(be)|', {
        a: request('bad', 1),
        b: request('b', 1),
        e: request('e', 0),
      });
      const output = source.pipe(batchVirtual(decode, { maxWaitMs: 0 }));
      expectObservable(output.pipe(map(show))).toBe('-x-eb--|', { x: 'bad!boom', e: 'e:', b: 'b:b0' });
    });
  });

  it('decodes what is queued without waiting once the source completes, then completes', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const decode = (sentences: string[]) => cold('-(a|)', { a: sentences });
      const source = cold<Request>('(ab)-c|', { a: request('a', 1), b: request('b', 1), c: request('c', 2) });
      const output = source.pipe(batchVirtual(decode, { maxWaitMs: 50 }));
      // c (frame 5) would wait for a second request; the source completes at 6, so it goes then.
      expectObservable(output.pipe(map(show))).toBe('-(ab)--(c|)', { a: 'a:a0', b: 'b:b0', c: 'c:c0,c1' });
    });
  });

  it('sends the rest of a request already being decoded without waiting again', () => {
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const decode = (sentences: string[]) => cold('-(a|)', { a: sentences });
      const source = hot<Request>('a', { a: request('a', 3) });
      const output = source.pipe(
        batchVirtual(decode, { maxWaitMs: 50, maxBatchTokens: 2, tokenCount: () => 1 }),
      );
      expectObservable(output.pipe(map(show))).toBe('--a', { a: 'a:a0,a1,a2' });
    });
  });

  it('stops its timer when unsubscribed while holding a batch', () => {
    let calls = 0;
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const decode = (sentences: string[]) => {
        calls += 1;
        return cold('-(a|)', { a: sentences });
      };
      const source = hot<Request>('(ab)-c', { a: request('a', 1), b: request('b', 1), c: request('c', 1) });
      // c (frame 5) is held until frame 11; unsubscribed at 7, it is never decoded.
      expectObservable(source.pipe(batchVirtual(decode, { maxWaitMs: 10 }), map(show)), '^------!').toBe(
        '-(ab)',
        { a: 'a:a0', b: 'b:b0' },
      );
    });
    expect(calls).to.equal(1);
  });

  describe('with the bundled model', function () {
    this.timeout(300_000);
    let model: TranslationModel;
    before(async () => {
      model = await loadModel();
    });
    after(() => model?.dispose());

    it('answers each of many concurrent requests with exactly its own translations, as decoding alone', async () => {
      const texts = [
        'En el principio creó Dios los cielos y la tierra.',
        'Y la tierra estaba desordenada y vacía.',
        'Y dijo Dios: Sea la luz; y fue la luz.',
        'Hola, mundo.',
        'Y vio Dios que la luz era buena.',
        '',
        'Y llamó Dios a la luz Día, y a las tinieblas llamó Noche.',
      ];
      const requests: Request[] = Array.from({ length: 12 }, (_, k) => ({
        name: `r${k}`,
        sentences: Array.from({ length: 1 + (k % 4) }, (_, i) => texts[(k + 3 * i) % texts.length]),
      }));
      const batches: BatchInfo[] = [];
      const requests$ = new Subject<Request>();
      const outcomes = lastValueFrom(
        requests$.pipe(
          batchRequests<Request, Translation>(
            (sentences) => translateSentences(model, sentences, { beam: 2 }),
            {
              maxBatchTokens: 40,
              tokenCount: (sentence) => model.sourceTokenizer.encode(sentence).length + 1,
              onBatch: (batch) => void batches.push(batch),
            },
          ),
          toArray(),
        ),
      );
      for (const r of requests) requests$.next(r);
      requests$.complete();
      const answered = await outcomes;
      expect(answered).to.have.length(requests.length);
      expect(batches.some((b) => b.requests > 1)).to.equal(true);
      for (const outcome of answered) {
        if (!('results' in outcome)) throw new Error(`request failed: ${String(outcome.error)}`);
        const alone = await translateSentences(model, outcome.request.sentences, { beam: 2 });
        expect(outcome.results.map((t) => t.text)).to.deep.equal(alone.map((t) => t.text));
        expect(outcome.results.map((t) => t.source)).to.deep.equal(outcome.request.sentences);
      }
    });

    it('drops a cancelled request and still answers the others', async () => {
      const controller = new AbortController();
      const requests$ = new Subject<Request>();
      const outcomes = lastValueFrom(
        requests$.pipe(
          batchRequests<Request, Translation>(
            (sentences) => translateSentences(model, sentences, { beam: 1 }),
            {
              maxBatchTokens: 0,
            },
          ),
          toArray(),
        ),
      );
      requests$.next({ name: 'kept', sentences: ['Hola, mundo.'] });
      requests$.next({ name: 'gone', sentences: ['Y dijo Dios.', 'Sea la luz.'], signal: controller.signal });
      controller.abort();
      requests$.complete();
      const answered = await outcomes;
      expect(answered.map((o) => o.request.name)).to.deep.equal(['kept']);
    });
  });
});
