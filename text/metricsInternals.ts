import { SubflowError } from '../errors.js';

/**
 * The sacreBLEU release whose defaults, tokenizer and arithmetic `bleu.ts` and `chrf.ts` mirror, and
 * which their signatures name. BLEU (13a, exp smoothing) and chrF have not changed since 2.0.0.
 */
export const SACREBLEU_VERSION = '2.4.3';

/**
 * Python's `str.split()` whitespace (what `str.isspace()` accepts). sacreBLEU splits tokens and
 * strips lines with it, and it differs from JavaScript's `\s` (Python includes U+001C–U+001F and
 * U+0085, JavaScript includes U+FEFF), so scores would drift on such characters without it.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const PYTHON_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const PYTHON_WHITESPACE_RUNS = new RegExp(PYTHON_WHITESPACE.source, 'g');
const PYTHON_TRAILING_WHITESPACE = new RegExp(`${PYTHON_WHITESPACE.source}$`);

/** Python's `s.split()`: words separated by runs of Python whitespace, no empty strings. */
export function splitWords(text: string): string[] {
  return text.split(PYTHON_WHITESPACE).filter((word) => word.length > 0);
}

/** Python's `''.join(s.split())`: the text with every Python whitespace character removed. */
export function removeWhitespace(text: string): string {
  return text.replace(PYTHON_WHITESPACE_RUNS, '');
}

/** Python's `s.rstrip()`. */
export function rstrip(text: string): string {
  return text.replace(PYTHON_TRAILING_WHITESPACE, '');
}

/**
 * Counts of n-grams keyed by their text; adds 1 to `key`. A Map rather than an object, because
 * n-grams such as `constructor` or `__proto__` are ordinary words.
 */
export function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * Turns the accepted reference shapes into reference streams, sacreBLEU's layout: either one stream
 * (`['ref of line 1', 'ref of line 2']`) or several (`[[...first refs], [...second refs]]`), each as
 * long as `hypotheses`. Returns, per hypothesis, its non-empty references (sacreBLEU drops empty or
 * missing references of a segment and fails when none is left), and the signature's `nrefs`.
 */
export function referencesPerSegment(
  metric: string,
  hypotheses: readonly string[],
  references: readonly string[] | readonly (readonly string[])[],
): { perSegment: string[][]; nrefs: number | 'var' } {
  if (hypotheses.length === 0) {
    throw new SubflowError('BAD_ARGUMENT', `${metric}: no hypotheses to score`, {
      hint: 'pass at least one hypothesis line',
    });
  }
  const streams: readonly (readonly string[])[] =
    references.length > 0 && typeof references[0] === 'string'
      ? [references as readonly string[]]
      : (references as readonly (readonly string[])[]);
  if (streams.length === 0) {
    throw new SubflowError('BAD_ARGUMENT', `${metric}: no references given`, {
      hint: 'pass one reference line per hypothesis (or several reference streams)',
    });
  }
  streams.forEach((stream, index) => {
    if (stream.length !== hypotheses.length) {
      throw new SubflowError(
        'BAD_ARGUMENT',
        `${metric}: reference stream ${index + 1} has ${stream.length} lines but there are ${hypotheses.length} hypotheses`,
        { hint: 'hypotheses and references must be line-aligned' },
      );
    }
  });
  const counts = new Set<number>();
  const perSegment = hypotheses.map((_, line) => {
    const refs = streams.map((stream) => stream[line]).filter((ref) => ref !== undefined && ref !== '');
    if (refs.length === 0) {
      throw new SubflowError('BAD_ARGUMENT', `${metric}: line ${line + 1} has no non-empty reference`, {
        line: line + 1,
        hint: 'remove the line from both hypotheses and references, or give it a reference',
      });
    }
    counts.add(refs.length);
    return refs;
  });
  return { perSegment, nrefs: counts.size === 1 ? [...counts][0] : 'var' };
}
