/**
 * Cutting a text that is too long for a model into parts it can take, without losing any of it.
 * Cuts fall where a translation can be joined back most safely: sentence ends first, then clause
 * punctuation, then word boundaries, and only inside a word when one word alone is over the limit.
 */

/** The length of a text as the limit counts it, e.g. `(text) => tokenizer.encode(text).length`. */
export type LengthCounter = (text: string) => number;

const CLOSERS = `"'»”’)\\]`;
/** After `.` `!` `?` `…` (closing quotes/brackets allowed) and whitespace; CJK sentence marks need none. */
const SENTENCE_END = new RegExp(`[.!?…‼⁉]+[${CLOSERS}]*\\s+|[。！？]+[${CLOSERS}」』]*\\s*`, 'gu');
/** After clause punctuation and whitespace, or after a spaced dash; CJK ones need no whitespace. */
const CLAUSE_END = /[,;:](?:["'»”’)\]]*)\s+|\s[—–-]\s+|[，；：、]\s*/gu;
const WORD_END = /\s+/gu;

/**
 * Splits `text` into consecutive parts of at most `maxLength` (as `count` measures them) whose
 * concatenation is exactly `text`, whitespace included; text within the limit is one part.
 *
 * Cuts go at sentence ends first, each sentence becoming a part of its own (a model translates
 * whole sentences best); a sentence still over the limit is cut at clause punctuation (`, ; : —`),
 * then between words, neighbouring pieces packed into parts of similar size under the limit; a
 * single word over the limit is cut between characters. `count` is called on candidate parts, so
 * the limit holds for tokenizers whose pieces do not simply add up; only a single character that
 * counts over the limit on its own can exceed it.
 *
 * @example splitLongText('Uno dos. Tres cuatro.', 2, (t) => t.split(/\s+/).filter(Boolean).length)
 * // → ['Uno dos. ', 'Tres cuatro.']
 */
export function splitLongText(text: string, maxLength: number, count: LengthCounter): string[] {
  if (count(text) <= maxLength) return [text];
  return cutAfter(text, SENTENCE_END).flatMap((sentence) => splitSentence(sentence, maxLength, count));
}

function splitSentence(sentence: string, maxLength: number, count: LengthCounter): string[] {
  if (count(sentence) <= maxLength) return [sentence];
  return pack(cutAfter(sentence, CLAUSE_END), maxLength, count, (clause) =>
    pack(cutAfter(clause, WORD_END), maxLength, count, (word) => splitWord(word, maxLength, count)),
  );
}

/**
 * Joins consecutive pieces into parts of about equal length, each at most `maxLength`; a piece over
 * the limit on its own goes to `finer` instead.
 */
function pack(
  pieces: string[],
  maxLength: number,
  count: LengthCounter,
  finer: (piece: string) => string[],
): string[] {
  const lengths = pieces.map(count);
  const total = lengths.reduce((sum, length) => sum + length, 0);
  // Parts of similar size rather than full ones and a short tail: a lone scrap translates badly.
  const target = total / Math.ceil(total / maxLength);
  const parts: string[] = [];
  let open: string[] = [];
  let openLength = 0;
  const close = () => {
    if (open.length > 0) parts.push(...fitted(open, maxLength, count));
    open = [];
    openLength = 0;
  };
  pieces.forEach((piece, k) => {
    if (lengths[k] > maxLength) {
      close();
      parts.push(...finer(piece));
      return;
    }
    if (openLength + lengths[k] > maxLength || openLength >= target) close();
    open.push(piece);
    openLength += lengths[k];
  });
  close();
  return parts;
}

/**
 * The pieces joined, checked with `count` as a whole: a tokenizer may count a join differently from
 * its pieces, so a join over the limit is cut again before its last piece.
 */
function fitted(pieces: string[], maxLength: number, count: LengthCounter): string[] {
  for (let end = pieces.length; end > 1; end--) {
    const joined = pieces.slice(0, end).join('');
    if (count(joined) <= maxLength) return [joined, ...fitted(pieces.slice(end), maxLength, count)];
  }
  return pieces.length === 0 ? [] : [pieces[0], ...fitted(pieces.slice(1), maxLength, count)];
}

/** Cuts a word between characters (code points) into the longest prefixes within the limit. */
function splitWord(word: string, maxLength: number, count: LengthCounter): string[] {
  const characters = [...word];
  const parts: string[] = [];
  let start = 0;
  while (start < characters.length) {
    // Binary search for the longest prefix that fits; at least one character, so this always ends.
    let low = start + 1;
    let high = characters.length;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (count(characters.slice(start, middle).join('')) <= maxLength) low = middle;
      else high = middle - 1;
    }
    parts.push(characters.slice(start, low).join(''));
    start = low;
  }
  return parts;
}

/** Cuts `text` after every match of `boundary` (a global regex); the pieces join back to `text`. */
function cutAfter(text: string, boundary: RegExp): string[] {
  const pieces: string[] = [];
  let start = 0;
  for (const match of text.matchAll(boundary)) {
    const end = match.index + match[0].length;
    if (end > start && end < text.length) {
      pieces.push(text.slice(start, end));
      start = end;
    }
  }
  pieces.push(text.slice(start));
  return pieces;
}
