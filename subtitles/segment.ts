import {
  DEFAULT_SPLIT,
  splitByAttention,
  type AlignedTranslation,
  type SplitLimits,
  type SplitMethod,
} from './attentionSplit.js';

/**
 * Sentence segmentation across cues: consecutive cues that carry one sentence are merged so the
 * translator sees whole sentences, and a translation is split back over those cues. Reversible:
 * splitting a segment's own text gives back its pieces (whitespace normalised).
 */

/** One piece of text to segment, usually a cue's masked text. */
export interface SegmentItem {
  /** Identifies the piece (a cue index, or any id the caller chooses); reported in `Segment.cueIndices`. */
  index: number;
  /** ms */
  start: number;
  /** ms */
  end: number;
  text: string;
  /** Never merge with a neighbour (dialogue turns, speech next to a non-speech cue …). */
  standalone?: boolean;
}

/** Consecutive pieces that form one sentence (or a bounded run of them). */
export interface Segment {
  /** The pieces' texts joined with single spaces. */
  text: string;
  /** `index` of each piece, in order. */
  cueIndices: number[];
  /** Characters of each piece, not counting whitespace: the weights `splitTranslation` splits by. */
  sourceLengths: number[];
  /** Whitespace-separated words of each piece: where the pieces meet in `text`, for attention splitting. */
  sourceWordCounts?: number[];
  /** Duration of each piece in ms, for the reading-speed limit of attention splitting. */
  durationsMs?: number[];
  /**
   * Ellipses taken out where a piece trailing off ("No puede ser...") runs on into the next ("...que
   * vuelvas."), so the translator sees one plain sentence; entry k joins piece k and k+1.
   * `splitTranslation` puts them back.
   */
  ellipses?: Array<EllipsisJoin | undefined>;
  /** ms, start of the first piece */
  start: number;
  /** ms, end of the last piece */
  end: number;
}

/** The ellipsis that ended one piece and the one that began the next. */
export interface EllipsisJoin {
  end: string;
  start: string;
}

/** Limits on merging. */
export interface SegmentOptions {
  /** A silence longer than this between cues ends a sentence. Default 1500 ms. */
  maxGapMs?: number;
  /** At most this many cues in one segment. Default 4. */
  maxCues?: number;
  /** At most this many characters in one segment. Default 300. */
  maxChars?: number;
}

const CLOSERS = /["'»”’)\]]+$/u;
const ELLIPSIS_END = /(?:\.\.\.?|…)$/;
const ELLIPSIS_START = /^(?:\.\.\.?|…)/;

/**
 * True when `text` ends a sentence: it ends in `.` `!` `?` (or CJK ones), closing quotes allowed, and not
 * in an ellipsis (a trailing "..." in subtitles usually continues in the next cue), and no Spanish
 * `¿` / `¡` opened after the last `?` / `!` is still waiting for its close.
 */
export function isSentenceEnd(text: string): boolean {
  const trimmed = text.trim().replace(CLOSERS, '');
  if (ELLIPSIS_END.test(trimmed) || !/[.!?。！？‼⁉]$/u.test(trimmed)) return false;
  return (
    trimmed.lastIndexOf('¿') <= trimmed.lastIndexOf('?') &&
    trimmed.lastIndexOf('¡') <= trimmed.lastIndexOf('!')
  );
}

const NO_SPACE_SCRIPTS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;
const nonSpaceLength = (text: string): number => text.replace(/\s+/g, '').length;
const normalise = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Streaming segmenter: push pieces in order, take the segments that are complete, flush at the end. */
export class SentenceSegmenter {
  private readonly maxGapMs: number;
  private readonly maxCues: number;
  private readonly maxChars: number;
  private open: SegmentItem[] = [];
  private openChars = 0;

  constructor(options: SegmentOptions = {}) {
    this.maxGapMs = options.maxGapMs ?? 1500;
    this.maxCues = options.maxCues ?? 4;
    this.maxChars = options.maxChars ?? 300;
  }

  /** Adds the next piece; returns the segments it completed (zero, one or two). */
  push(item: SegmentItem): Segment[] {
    const done: Segment[] = [];
    if (this.open.length > 0 && !this.continues(item)) done.push(...this.flush());
    this.open.push(item);
    this.openChars += normalise(item.text).length + 1;
    if (item.standalone || isSentenceEnd(item.text)) done.push(...this.flush());
    return done;
  }

  /** Returns the open segment, if any, and starts afresh. */
  flush(): Segment[] {
    if (this.open.length === 0) return [];
    const texts = this.open.map((item) => normalise(item.text));
    const ellipses = texts.slice(0, -1).map((text, k) => takeEllipses(texts, k));
    const segment: Segment = {
      text: texts.join(' '),
      cueIndices: this.open.map((item) => item.index),
      sourceLengths: texts.map(nonSpaceLength),
      sourceWordCounts: texts.map((text) => text.split(' ').filter(Boolean).length),
      durationsMs: this.open.map((item) => item.end - item.start),
      start: this.open[0].start,
      end: this.open[this.open.length - 1].end,
    };
    if (ellipses.some(Boolean)) segment.ellipses = ellipses;
    this.open = [];
    this.openChars = 0;
    return [segment];
  }

  private continues(next: SegmentItem): boolean {
    const last = this.open[this.open.length - 1];
    const lastText = last.text.trim();
    const nextText = next.text.trim();
    if (next.standalone || last.standalone) return false;
    if (next.start - last.end > this.maxGapMs) return false;
    if (this.open.length >= this.maxCues || this.openChars + normalise(nextText).length > this.maxChars)
      return false;
    // "I was going to..." + "...the store." continues; "Wait..." + "Who's there?" does not.
    if (ELLIPSIS_END.test(lastText.replace(CLOSERS, '')))
      return ELLIPSIS_START.test(nextText) || /^\p{Ll}/u.test(nextText);
    return true;
  }
}

// Strips "..." from the end of texts[k] and the start of texts[k+1] when both have one (and both keep words).
function takeEllipses(texts: string[], k: number): EllipsisJoin | undefined {
  const end = ELLIPSIS_END.exec(texts[k])?.[0];
  const start = ELLIPSIS_START.exec(texts[k + 1])?.[0];
  if (!end || !start) return undefined;
  const before = texts[k].slice(0, -end.length).trimEnd();
  const after = texts[k + 1].slice(start.length).trimStart();
  if (!/[\p{L}\p{N}]/u.test(before) || !/[\p{L}\p{N}]/u.test(after)) return undefined;
  texts[k] = before;
  texts[k + 1] = after;
  return { end, start };
}

/** Segments a whole list of pieces at once. */
export function segmentCues(items: readonly SegmentItem[], options: SegmentOptions = {}): Segment[] {
  const segmenter = new SentenceSegmenter(options);
  return [...items.flatMap((item) => segmenter.push(item)), ...segmenter.flush()];
}

/** How {@link splitTranslation} splits: the method, and the limits attention splitting keeps. */
export interface SplitOptions extends SplitLimits {
  /** `proportional` (by length) or `attention` (by the model's attention, by length when it has none). Default {@link DEFAULT_SPLIT}. */
  split?: SplitMethod;
}

/**
 * Splits a translation of `segment.text` back over its pieces. With `split: 'attention'` and a
 * translation that carries its word attention, at the words the attention aligns with each piece
 * boundary (see `splitByAttention`); otherwise, or when that attention is flat or does not fit the
 * texts, in proportion to the pieces' source lengths,
 * at word boundaries. Every piece gets at least one word when the translation has as many words as
 * there are pieces; with fewer words some pieces are left empty (each word goes to the piece its
 * position falls in). A translation in a script without spaces (Chinese, Japanese, Thai) that has fewer
 * words than pieces is split between characters. Returns one string per entry of `segment.cueIndices`.
 */
export function splitTranslation(
  segment: Segment,
  translation: string | AlignedTranslation,
  options: SplitOptions = {},
): string[] {
  const translatedText = typeof translation === 'string' ? translation : translation.text;
  const byAttention =
    (options.split ?? DEFAULT_SPLIT) === 'attention' &&
    typeof translation !== 'string' &&
    segment.sourceWordCounts
      ? splitByAttention(
          { wordCounts: segment.sourceWordCounts, durationsMs: segment.durationsMs },
          translation,
          options,
        )
      : undefined;
  const pieces = byAttention ?? splitByLength(segment, translatedText);
  segment.ellipses?.forEach((join, k) => {
    if (!join) return;
    if (pieces[k] && !ELLIPSIS_END.test(pieces[k])) pieces[k] += join.end;
    if (pieces[k + 1] && !ELLIPSIS_START.test(pieces[k + 1])) pieces[k + 1] = join.start + pieces[k + 1];
  });
  return pieces;
}

function splitByLength(segment: Segment, translatedText: string): string[] {
  const parts = segment.cueIndices.length;
  const spaced = translatedText.trim().split(/\s+/).filter(Boolean);
  if (parts === 1) return [spaced.join(' ')];
  // Scripts written without spaces (Chinese, Japanese, Thai) are split between characters instead.
  const unspaced = spaced.length < parts && NO_SPACE_SCRIPTS.test(translatedText);
  const words = unspaced ? [...translatedText.replace(/\s+/g, '')] : spaced;
  const glue = unspaced ? '' : ' ';
  const sourceTotal = segment.sourceLengths.reduce((sum, n) => sum + n, 0) || parts;
  const weights = segment.sourceLengths.map((n) => (sourceTotal === parts && n === 0 ? 1 : n));
  // before[b] = non-space characters of the words before word b.
  const before = [0];
  for (const word of words) before.push(before[before.length - 1] + word.length);
  const targetTotal = before[words.length];
  const targetCut = (k: number): number =>
    (targetTotal * weights.slice(0, k).reduce((s, n) => s + n, 0)) / sourceTotal;

  if (words.length < parts) {
    const out: string[][] = Array.from({ length: parts }, () => []);
    words.forEach((word, w) => {
      const centre = before[w] + word.length / 2;
      let part = 0;
      while (part < parts - 1 && centre > targetCut(part + 1)) part++;
      out[part].push(word);
    });
    return out.map((p) => p.join(glue));
  }

  // Greedy cut k: the word boundary nearest its proportional position, leaving a word for every later part.
  const cuts: number[] = [];
  let previous = 0;
  for (let k = 1; k < parts; k++) {
    let best = previous + 1;
    for (let b = previous + 1; b <= words.length - (parts - k); b++) {
      if (Math.abs(before[b] - targetCut(k)) < Math.abs(before[best] - targetCut(k))) best = b;
    }
    cuts.push(best);
    previous = best;
  }
  const bounds = [0, ...cuts, words.length];
  return bounds.slice(0, -1).map((from, k) => words.slice(from, bounds[k + 1]).join(glue));
}
