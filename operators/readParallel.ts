import { defer, from, type Observable } from 'rxjs';
import { SubflowError } from '../errors.js';
import { readLines, type NumberedLine } from '../text/lines.js';
import type { SentencePair } from '../types.js';
import type { FlowGate } from '../flowGate.js';

/** Two line-aligned files, one sentence per line (plain or `.gz`). */
export interface AlignedFilesSource {
  source: string;
  target: string;
}

/** One tab-separated file: source TAB target per line (plain or `.gz`). */
export interface TsvSource {
  tsv: string;
}

export type ParallelSource = (AlignedFilesSource | TsvSource) & {
  /** Lets a slow consumer pause reading (see FlowGate); without it the corpus is read as fast as it can be. */
  gate?: FlowGate;
};

/**
 * Streams a parallel corpus as `SentencePair`s, pulled line by line so memory stays bounded
 * whatever the corpus size. Cold: every subscription reads the files again (one epoch each).
 *
 * @example
 * readParallel({ source: 'train.es', target: 'train.en' }).pipe(cleanPairs({ maxLength: 100 }))
 */
export function readParallel(options: ParallelSource): Observable<SentencePair> {
  const pairs = () => ('tsv' in options ? readTsv(options.tsv) : readAligned(options));
  return defer(() => from(options.gate ? gated(pairs(), options.gate) : pairs()));
}

async function* gated<T>(items: AsyncGenerator<T>, gate: FlowGate): AsyncGenerator<T> {
  for await (const item of items) {
    await gate.pass();
    yield item;
  }
}

async function* readAligned({ source, target }: AlignedFilesSource): AsyncGenerator<SentencePair> {
  const sourceLines = readLines(source);
  const targetLines = readLines(target);
  let count = 0;
  try {
    for (;;) {
      const [s, t] = await Promise.all([sourceLines.next(), targetLines.next()]);
      if (s.done && t.done) break;
      if (s.done || t.done) throw misaligned(source, target, s.done ? undefined : s.value, t.value, count);
      count += 1;
      yield { src: s.value.text, tgt: t.value.text, origin: { file: source, line: s.value.number } };
    }
  } finally {
    await Promise.all([sourceLines.return(undefined), targetLines.return(undefined)]);
  }
  if (count === 0) throw emptyCorpus(`${source} and ${target} are empty`, source);
}

function misaligned(
  source: string,
  target: string,
  sourceLine: NumberedLine | undefined,
  targetLine: NumberedLine | undefined,
  pairs: number,
): SubflowError {
  const [longer, shorter, extra] = sourceLine ? [source, target, sourceLine] : [target, source, targetLine!];
  return new SubflowError(
    'CORPUS_MISALIGNED',
    `${shorter} ends after line ${pairs.toLocaleString('en-US')} but ${longer} goes on: line ${extra.number.toLocaleString('en-US')} has no partner`,
    {
      file: longer,
      line: extra.number,
      hint: 'the source and target files must have the same number of lines, one sentence pair per line',
    },
  );
}

async function* readTsv(file: string): AsyncGenerator<SentencePair> {
  let count = 0;
  for await (const { text, number } of readLines(file)) {
    const tab = text.indexOf('\t');
    if (tab === -1 || text.indexOf('\t', tab + 1) !== -1) {
      if (text.trim() === '') {
        // A blank line is an empty pair; cleanPairs decides what to do with it.
        count += 1;
        yield { src: '', tgt: '', origin: { file, line: number } };
        continue;
      }
      throw new SubflowError(
        'CORPUS_BAD_LINE',
        `${file}:${number}: expected "source<TAB>target", found ${tab === -1 ? 'no tab' : 'more than one tab'}`,
        {
          file,
          line: number,
          hint: 'each line of a TSV corpus holds exactly one tab between source and target',
        },
      );
    }
    count += 1;
    yield { src: text.slice(0, tab), tgt: text.slice(tab + 1), origin: { file, line: number } };
  }
  if (count === 0) throw emptyCorpus(`${file} is empty`, file);
}

function emptyCorpus(message: string, file: string): SubflowError {
  return new SubflowError('CORPUS_EMPTY', message, {
    file,
    hint: 'point the config at a corpus with at least one sentence pair',
  });
}
