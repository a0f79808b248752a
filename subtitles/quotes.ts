/**
 * Quotation marks and brackets a translation may keep: those of a kind its source has, paired.
 *
 * A model trained on quoted prose (the bundled one learned from Bible verses, where speech opens
 * with “ and closes with ”) adds quotes to subtitle lines that have none, often only one of the
 * pair: `¿Vienes conmigo?` → `Will you go with me?”`. Subtitles mark speech with dashes, not quotes.
 *
 * Kinds: double quotes (“ ” „ ‟ « » "), single quotes (‘ ’ ‚ ‹ › '), ( ) and [ ]. Any opener pairs
 * with any closer of its kind, so a translation may change the style (« » → “ ”). A mark is kept
 * when the source has marks of its kind and it pairs up in the translation; an unpaired one stays
 * only where the source has an unpaired one of that kind facing the same way (a quotation that runs
 * on into the next sentence). ’ and ' inside or at the edge of a word (don’t, disciples’, ’tis) are
 * apostrophes and always stay, unless they close a single quote opened before them.
 */

type Kind = 'double' | 'single' | 'round' | 'square';

interface Mark {
  /** UTF-16 offset (every mark is one code unit). */
  at: number;
  kind: Kind;
  role: 'open' | 'close';
  /** Index of the mark it pairs with, if any. */
  partner?: number;
}

/** Marks that always play the same role. */
const FIXED: Record<string, { kind: Kind; role: 'open' | 'close' }> = {
  '“': { kind: 'double', role: 'open' },
  '„': { kind: 'double', role: 'open' },
  '‟': { kind: 'double', role: 'open' },
  '«': { kind: 'double', role: 'open' },
  '”': { kind: 'double', role: 'close' },
  '»': { kind: 'double', role: 'close' },
  '‘': { kind: 'single', role: 'open' },
  '‚': { kind: 'single', role: 'open' },
  '‹': { kind: 'single', role: 'open' },
  '›': { kind: 'single', role: 'close' },
  '(': { kind: 'round', role: 'open' },
  ')': { kind: 'round', role: 'close' },
  '[': { kind: 'square', role: 'open' },
  ']': { kind: 'square', role: 'close' },
};

/** Openers that a low opener („ ‚) takes as its closer: German „…“ and ‚…‘. */
const LOW_OPENERS: Record<string, string> = { '“': '„', '‘': '‚' };

const WORD_CHARACTER = /[\p{L}\p{N}]/u;
const MARK_CHARACTERS = /[“”„‟«»‘’‚‹›()[\]"']/u;

const isWordAt = (text: string, at: number): boolean =>
  at >= 0 && at < text.length && WORD_CHARACTER.test(text[at]);

/**
 * What the character at `at` is: a mark of some kind opening or closing, or undefined (no mark, or
 * an apostrophe). `waiting(kind)` is the innermost unpaired opener of that kind so far.
 */
function markAt(
  text: string,
  at: number,
  waiting: (kind: Kind) => string | undefined,
): { kind: Kind; role: 'open' | 'close' } | undefined {
  const char = text[at];
  const fixed = FIXED[char];
  if (fixed) {
    const closesLow = LOW_OPENERS[char] !== undefined && waiting(fixed.kind) === LOW_OPENERS[char];
    return closesLow ? { kind: fixed.kind, role: 'close' } : fixed;
  }
  if (char === '"') {
    const closes = waiting('double') === '"' || at + 1 >= text.length || /\s/.test(text[at + 1]);
    return { kind: 'double', role: closes ? 'close' : 'open' };
  }
  if (char !== '’' && char !== "'") return undefined;
  const before = isWordAt(text, at - 1);
  const after = isWordAt(text, at + 1);
  if (before && after) return undefined; // don’t
  if (waiting('single') !== undefined && !after) return { kind: 'single', role: 'close' };
  if (before || (after && char === '’')) return undefined; // disciples’, ’tis
  return { kind: 'single', role: after ? 'open' : 'close' };
}

/** Every quotation mark and bracket of `text`, with its role and its partner where it pairs up. */
function findMarks(text: string): Mark[] {
  const marks: Mark[] = [];
  const open: Record<Kind, number[]> = { double: [], single: [], round: [], square: [] };
  const waiting = (kind: Kind): string | undefined => {
    const index = open[kind].at(-1);
    return index === undefined ? undefined : text[marks[index].at];
  };
  for (let at = 0; at < text.length; at++) {
    const mark = markAt(text, at, waiting);
    if (!mark) continue;
    const index = marks.push({ at, ...mark }) - 1;
    if (mark.role === 'open') {
      open[mark.kind].push(index);
    } else {
      const opener = open[mark.kind].pop();
      if (opener !== undefined) {
        marks[opener].partner = index;
        marks[index].partner = opener;
      }
    }
  }
  return marks;
}

/** The kinds of mark a text has, each with how many of its openers and closers are unpaired. */
function unpairedByKind(marks: readonly Mark[]): Map<Kind, { open: number; close: number }> {
  const kinds = new Map<Kind, { open: number; close: number }>();
  for (const mark of marks) {
    const counts = kinds.get(mark.kind) ?? { open: 0, close: 0 };
    if (mark.partner === undefined) counts[mark.role]++;
    kinds.set(mark.kind, counts);
  }
  return kinds;
}

/**
 * `translation` without the quotation marks and brackets its `source` does not have, and without
 * any left unpaired (see the module comment). Whitespace the dropped marks leave doubled or at
 * either end is removed; a translation with nothing to drop comes back unchanged.
 *
 * @example matchSourceQuotes('¿Vienes conmigo?', 'Will you go with me?”') // 'Will you go with me?'
 */
export function matchSourceQuotes(source: string, translation: string): string {
  if (!MARK_CHARACTERS.test(translation)) return translation;
  const allowed = unpairedByKind(findMarks(source));
  const drop = new Set<number>();
  for (const mark of findMarks(translation)) {
    const budget = allowed.get(mark.kind);
    if (budget === undefined) drop.add(mark.at);
    else if (mark.partner === undefined) {
      if (budget[mark.role] > 0) budget[mark.role]--;
      else drop.add(mark.at);
    }
  }
  if (drop.size === 0) return translation;
  let kept = '';
  for (let at = 0; at < translation.length;) {
    if (!drop.has(at)) {
      kept += translation[at++];
      continue;
    }
    while (drop.has(at)) at++;
    // A dropped mark between two spaces leaves one; at either end of the text, none.
    let after = at;
    while (after < translation.length && /\s/.test(translation[after])) after++;
    const trimmed = kept.trimEnd();
    if (trimmed === '' || after === translation.length) {
      kept = trimmed;
      at = after;
    } else if (trimmed !== kept) {
      at = after;
    }
  }
  return kept;
}
