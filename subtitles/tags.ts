/**
 * Formatting masked out of cue text before translation and put back after.
 *
 * Masked: HTML-like tags (`<i> </i> <b> <u> <font …> <c.x> <v Name>`, WebVTT `<00:01.000>`), brace blocks
 * (ASS `{\…}` overrides, `{\an8}` in SRT), and ASS `\N` `\n` `\h`. The translator sees plain text with
 * line breaks as spaces.
 *
 * Restore policy:
 * - Tags before the first word stay at the start, tags after the last word stay at the end, in their order;
 *   so a tag pair that spanned the whole line spans the whole translation.
 * - A tag inside the text is anchored to a source word: before word k (an opening tag) or after word k's
 *   letters (a closing tag, which stays inside trailing punctuation: `<b>abre</b>.` → `<b>open</b>.`).
 *   Word k of n maps to word round(k·m/n) of the m translated words, never moving a tag before an
 *   earlier one, so pairs stay ordered and nested.
 * - `</i>` + line break + `<i>` (and ASS `{\i0}…{\i1}`) is italics continuing onto the next line and is
 *   merged first, so a two-line italic cue restores as one italic span.
 * - Line breaks (`\n`, `\N`, ASS `\n`) and `\h` are not restored: the reflow stage breaks lines anew.
 */

/** One tag of the source text and where it attaches. */
interface AnchoredTag {
  tag: string;
  /** Source word it attaches to. */
  word: number;
  /** Before the word (`prefix`) or after its letters (`suffix`). */
  side: 'prefix' | 'suffix';
  /** Followed by more of the same word in the source (`abre</b>.`), so never a trailing tag. */
  midWord?: boolean;
}

/** Text for the translator and the way back. */
export interface MaskedText {
  /** Tags removed, line breaks and `\h` as spaces, whitespace collapsed, trimmed. */
  plain: string;
  /** Puts the source's tags into a translation of `plain`, following the policy above. */
  restore(translated: string): string;
}

/** Matches one markup token (global; reset `lastIndex` or use with matchAll/split). */
export const TAG_PATTERN = /<\/?[a-zA-Z][^<>]*>|<\d[\d:.]*>|\{[^{}]*\}|\\[Nnh]/g;

const LINE_BREAK_TAG = /^\\[Nnh]$/;
const TRAILING_PUNCTUATION = /[.,;:!?…"'»”’)\]]+$/u;

// Italics (etc.) closed at a line end and reopened on the next line is one span, not two.
function mergeContinuedSpans(text: string): string {
  return text
    .replace(/<\/([a-z]+)>(\s+)<\1>/gi, '$2')
    .replace(/\{\\([ibus])0\}(\s+)\{\\\1(?:1)?\}/g, '$2')
    .replace(/\{\\([ibus])0\}(\\[Nn])\{\\\1(?:1)?\}/g, '$2');
}

/** Removes every tag; line breaks become spaces; whitespace is collapsed. */
export function stripTags(text: string): string {
  return text
    .replace(TAG_PATTERN, (tag) => (LINE_BREAK_TAG.test(tag) ? ' ' : ''))
    .replace(/\s+/g, ' ')
    .trim();
}

/** Number of visible characters (tags not counted, `\h` counts as one). */
export function visibleLength(text: string): number {
  return [...text.replace(TAG_PATTERN, (tag) => (LINE_BREAK_TAG.test(tag) ? ' ' : ''))].length;
}

/** Options for {@link maskTags}. */
export interface MaskOptions {
  /**
   * The text uses WebVTT/HTML character references: decode `&amp; &lt; &gt; &nbsp;` for the translator
   * and escape `&` `<` `>` in the translation. Default false.
   */
  entities?: boolean;
}

const decodeEntities = (text: string): string =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, '\u00A0')
    .replace(/&amp;/g, '&');
const escapeEntities = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Masks `text` for translation; see the module comment for how `restore` puts tags back. */
export function maskTags(text: string, options: MaskOptions = {}): MaskedText {
  const pieces = mergeContinuedSpans(text).split(/(<\/?[a-zA-Z][^<>]*>|<\d[\d:.]*>|\{[^{}]*\}|\\[Nnh])/);
  const leading: string[] = [];
  const trailing: string[] = [];
  const inner: AnchoredTag[] = [];
  const words: string[] = [];
  // Open word (letters seen, no whitespace yet) while walking the text.
  let inWord = false;
  let pendingTags: string[] = [];
  pieces.forEach((piece, k) => {
    const isTag = k % 2 === 1;
    if (isTag && !LINE_BREAK_TAG.test(piece)) {
      if (words.length === 0) leading.push(piece);
      else pendingTags.push(piece);
      return;
    }
    const chunk = isTag ? ' ' : options.entities ? decodeEntities(piece) : piece;
    for (const part of chunk.split(/(\s+)/)) {
      if (part === '') continue;
      if (/^\s+$/.test(part)) {
        // Tags between a word and whitespace close that word.
        for (const tag of pendingTags) inner.push({ tag, word: words.length - 1, side: 'suffix' });
        pendingTags = [];
        inWord = false;
        continue;
      }
      if (inWord) {
        // A tag inside a word: attach after the letters so far (`abre</b>.`).
        for (const tag of pendingTags)
          inner.push({ tag, word: words.length - 1, side: 'suffix', midWord: true });
        words[words.length - 1] += part;
      } else {
        for (const tag of pendingTags) inner.push({ tag, word: words.length, side: 'prefix' });
        words.push(part);
      }
      pendingTags = [];
      inWord = true;
    }
  });
  trailing.push(...pendingTags);
  // Tags after the whole last word (whitespace before the end) are trailing tags too.
  for (
    let last = inner.at(-1);
    last?.word === words.length - 1 && last.side === 'suffix' && !last.midWord;
    last = inner.at(-1)
  ) {
    trailing.unshift(last.tag);
    inner.pop();
  }
  const sourceWords = words.length;
  return {
    plain: words.join(' '),
    restore(translated) {
      const target = (options.entities ? escapeEntities(translated) : translated)
        .trim()
        .split(/\s+/)
        .filter(Boolean);
      if (target.length === 0) return [...leading, ...trailing].join('');
      const prefixes: string[][] = target.map(() => []);
      const suffixes: string[][] = target.map(() => []);
      const last = target.length - 1;
      let floor = 0; // position = 2·word + (suffix ? 1 : 0); never go back
      for (const { tag, word, side } of inner) {
        const mapped =
          side === 'prefix'
            ? Math.min(last, Math.round((word * target.length) / sourceWords))
            : Math.max(0, Math.round(((word + 1) * target.length) / sourceWords) - 1);
        const position = Math.max(floor, 2 * mapped + (side === 'suffix' ? 1 : 0));
        floor = position;
        const slot = Math.min(last, Math.floor(position / 2));
        (position % 2 === 0 ? prefixes : suffixes)[slot].push(tag);
      }
      const body = target.map((word, j) => {
        const punctuation = suffixes[j].length > 0 ? (TRAILING_PUNCTUATION.exec(word)?.[0] ?? '') : '';
        const core =
          punctuation && punctuation.length < word.length ? word.slice(0, -punctuation.length) : word;
        const tail = core === word ? '' : punctuation;
        return prefixes[j].join('') + core + suffixes[j].join('') + tail;
      });
      return leading.join('') + body.join(' ') + trailing.join('');
    },
  };
}
