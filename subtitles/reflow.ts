import { visibleLength } from './tags.js';
import { isNonSpeech, joinUtterances, splitUtterances } from './utterances.js';

/**
 * Line breaking for subtitle cues: balanced lines at word boundaries, widths counted without tags,
 * each dialogue turn on its own line(s). Text is never dropped: when it cannot fit in `maxLines` lines of
 * `maxLineLength`, the limit on length is kept and more lines are used, with a warning.
 *
 * One rule decides whether a cue is re-broken at all ({@link reflowCueText}): non-speech and text whose
 * lines already fit keep their breaks; the `reflow` operator and `translateDocument` both follow it.
 */

/** Default line limits: the common broadcast limits; flags and help texts read them from here. */
export const REFLOW_DEFAULTS = Object.freeze({ maxLineLength: 42, maxLines: 2 });

/** Line limits; defaults in {@link REFLOW_DEFAULTS}. */
export interface ReflowOptions {
  /** Visible characters per line (tags not counted). */
  maxLineLength?: number;
  /** Lines per cue. */
  maxLines?: number;
}

/** A reflowed text and whether it met the limits. */
export interface ReflowResult {
  text: string;
  /** Number of lines in `text`. */
  lines: number;
  /** True when every line is within `maxLineLength` and there are at most `maxLines` lines. */
  fits: boolean;
  /** Why it does not fit, when it does not. */
  warning?: string;
}

interface Token {
  text: string;
  width: number;
}

// Tag-only tokens ("<i>" alone between spaces) glue to the next word so no line starts or ends on one.
function tokensOf(text: string): Token[] {
  const tokens: Token[] = [];
  let carry = '';
  for (const raw of text.split(/\s+/).filter(Boolean)) {
    const joined = carry ? `${carry} ${raw}` : raw;
    const width = visibleLength(joined);
    if (width === 0) {
      carry = joined;
      continue;
    }
    tokens.push({ text: joined, width });
    carry = '';
  }
  if (carry) {
    if (tokens.length === 0) tokens.push({ text: carry, width: 0 });
    else tokens[tokens.length - 1].text += ` ${carry}`;
  }
  return tokens;
}

/** Fewest lines a greedy fill needs (a word longer than the limit takes a line of its own). */
function greedyLineCount(tokens: Token[], max: number): number {
  let lines = 0;
  let width = -1;
  for (const token of tokens) {
    if (lines === 0 || width + 1 + token.width > max) {
      lines++;
      width = token.width;
    } else {
      width += 1 + token.width;
    }
  }
  return lines;
}

const endsClause = (token: Token): boolean => /[,.;:!?…)\]»”"](?:<[^<>]*>|\{[^{}]*\})*$/u.test(token.text);

/**
 * Breaks tokens into exactly `lines` lines within `max`, minimising the sum of squared widths (balance),
 * less a bonus for each break after a clause-ending punctuation mark.
 */
function balancedBreaks(tokens: Token[], lines: number, max: number): string[] {
  const n = tokens.length;
  // prefix[i] = widths of the first i tokens, so a line's width is one subtraction plus its spaces.
  const prefix = [0];
  for (const token of tokens) prefix.push(prefix[prefix.length - 1] + token.width);
  const lineWidth = (from: number, to: number): number => prefix[to] - prefix[from] + (to - from - 1);
  // Breaking after a clause (a comma, full stop …) reads better; worth a moderate imbalance.
  const clauseBonus = (max / 4) ** 2;
  const cost: number[][] = Array.from({ length: lines + 1 }, () => new Array<number>(n + 1).fill(Infinity));
  const from: number[][] = Array.from({ length: lines + 1 }, () => new Array<number>(n + 1).fill(0));
  cost[0][0] = 0;
  for (let l = 1; l <= lines; l++) {
    for (let i = l; i <= n; i++) {
      // Longest line last: once a line is too wide, every earlier start is wider (a long cue has
      // thousands of tokens, so this keeps the search linear in them). `<=` keeps the earliest
      // start on ties.
      for (let j = i - 1; j >= l - 1; j--) {
        const width = lineWidth(j, i);
        if (width > max && i - j > 1) break;
        if (cost[l - 1][j] === Infinity) continue;
        const total = cost[l - 1][j] + width * width - (i < n && endsClause(tokens[i - 1]) ? clauseBonus : 0);
        if (total <= cost[l][i]) {
          cost[l][i] = total;
          from[l][i] = j;
        }
      }
    }
  }
  const out: string[] = [];
  for (let l = lines, i = n; l > 0; i = from[l][i], l--) {
    out.unshift(
      tokens
        .slice(from[l][i], i)
        .map((t) => t.text)
        .join(' '),
    );
  }
  return out;
}

/** Options of {@link reflowCueText}. */
export interface ReflowCueOptions extends ReflowOptions {
  /** Re-break text whose lines already fit too. Default false: fitting text keeps its breaks. */
  force?: boolean;
}

function limitsOf(options: ReflowOptions): Required<ReflowOptions> {
  return {
    maxLineLength: options.maxLineLength ?? REFLOW_DEFAULTS.maxLineLength,
    maxLines: options.maxLines ?? REFLOW_DEFAULTS.maxLines,
  };
}

/** True when there are at most `maxLines` lines, none wider than `maxLineLength` visible characters. */
function linesFit(lines: readonly string[], { maxLineLength, maxLines }: Required<ReflowOptions>): boolean {
  return lines.length <= maxLines && lines.every((line) => visibleLength(line) <= maxLineLength);
}

/**
 * The one reflow rule for a cue's text: non-speech text (`♪ …`, `[door slams]`) and text whose lines
 * already fit the limits are kept exactly as they are; anything else is re-broken by {@link reflowText}
 * (`force` re-breaks fitting speech too).
 */
export function reflowCueText(text: string, options: ReflowCueOptions = {}): ReflowResult {
  const limits = limitsOf(options);
  const lines = text.split('\n');
  const keep = isNonSpeech(text) || (!options.force && linesFit(lines, limits));
  return keep ? { text, lines: lines.length, fits: linesFit(lines, limits) } : reflowText(text, limits);
}

/** Re-breaks one cue's text, whether or not it already fits; see the module comment for the rules. */
export function reflowText(text: string, options: ReflowOptions = {}): ReflowResult {
  const { maxLineLength, maxLines } = limitsOf(options);
  const lines: string[] = [];
  for (const turn of splitUtterances(text)) {
    const tokens = tokensOf(joinUtterances([turn]));
    if (tokens.length === 0) continue;
    const count = greedyLineCount(tokens, maxLineLength);
    if (count === 1) lines.push(tokens.map((t) => t.text).join(' '));
    else lines.push(...balancedBreaks(tokens, count, maxLineLength));
  }
  const widest = Math.max(0, ...lines.map(visibleLength));
  const fits = linesFit(lines, { maxLineLength, maxLines });
  const result: ReflowResult = { text: lines.join('\n'), lines: lines.length, fits };
  if (!fits) {
    result.warning =
      widest > maxLineLength
        ? `a word is longer than ${maxLineLength} characters; kept on a line of ${widest}`
        : `needs ${lines.length} lines of at most ${maxLineLength} characters (limit ${maxLines}); all text kept`;
  }
  return result;
}
