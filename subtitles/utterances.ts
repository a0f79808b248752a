import { stripTags } from './tags.js';

/**
 * Speaker turns inside one cue, and cues that are not speech.
 *
 * A cue with dialogue dashes (`- Hi.\n- Hello.` or inline `- Hi. - Hello.`) holds one utterance per
 * speaker; each is translated alone and joined back with its dash, one speaker per line.
 */

/** One speaker's part of a cue. */
export interface Utterance {
  /** The dash that introduced it (`-`, `–` or `—`), or '' for a cue without dialogue dashes. */
  dash: string;
  /** Its text, tags included, without the dash. */
  text: string;
}

const TAGS_AT_START = /^((?:<[^<>]+>|\{[^{}]*\}|\s)*)/;
// A dialogue dash: at the start (after tags), then the spoken text, not a number ("-5 grados").
const DASH_AT_START = /^((?:<[^<>]+>|\{[^{}]*\}|\s)*)([-–—])[ \t]*(?=[^\s\d\-–—])/;
const VOICE_AT_START = /^(?:<[^<>]+>|\{[^{}]*\}|\s)*?<v[\s.][^<>]*>/;
// Inline second speaker: sentence end, optional closing tags, whitespace, optional opening tags, dash + space.
const INLINE_TURN =
  /(?<=[.!?…]["'»”]?(?:<\/[^<>]+>|\{[^{}]*\})*)\s+(?=(?:<[^<>/][^<>]*>|\{[^{}]*\})*[-–—]\s)/;

/**
 * Splits cue text into speaker turns; a cue without dialogue dashes is one utterance with `dash: ''`.
 * WebVTT cues with a voice tag on each line (`<v Ana>Hola</v>\n<v Luis>Adiós</v>`) are split per line too.
 */
export function splitUtterances(text: string): Utterance[] {
  const lines = text.split('\n');
  const byDash = lines.some((line) => DASH_AT_START.test(line));
  const byVoice = lines.filter((line) => VOICE_AT_START.test(line)).length > 1;
  if (!byDash && !byVoice) return [{ dash: '', text }];
  const startsTurn = (line: string): boolean =>
    DASH_AT_START.test(line) || (byVoice && VOICE_AT_START.test(line));
  const turns: string[] = [];
  for (const line of lines) {
    if (startsTurn(line) || turns.length === 0) turns.push(line);
    else turns[turns.length - 1] += `\n${line}`; // one speaker over two lines
  }
  return turns
    .flatMap((turn) => (DASH_AT_START.test(turn) ? turn.split(INLINE_TURN) : [turn]))
    .map((turn) => {
      const match = DASH_AT_START.exec(turn);
      return match
        ? { dash: match[2], text: match[1] + turn.slice(match[0].length) }
        : { dash: '', text: turn };
    });
}

/**
 * Joins utterances one per line, each dash after any leading tags (so SRT `{\an8}` stays first). A
 * turn with no text (an empty translation) keeps its dash without a trailing space.
 */
export function joinUtterances(utterances: readonly Utterance[]): string {
  return utterances
    .map(({ dash, text }) =>
      dash
        ? text.replace(
            TAGS_AT_START,
            (tags) => `${tags.trimEnd()}${dash}${tags.length < text.length ? ' ' : ''}`,
          )
        : text,
    )
    .join('\n');
}

const MUSIC = /[♪♫♬♩]/u;
const ANNOTATIONS_ONLY = /^(?:\s*(?:\[[^\]]*\]|\([^)]*\)|\*[^*]+\*))+\s*$/;
const NO_LETTERS = /^[^\p{L}\p{N}]*$/u;

/**
 * True for text that is not speech and must pass through untranslated: empty or letterless text
 * (`♪ ♪`, `...`), sound descriptions (`[door slams]`, `(laughs)`, `*sighs*`), music (`♪ …`, `# …`)
 * and ASS drawings (`{\p1}m 0 0 l …`).
 */
export function isNonSpeech(text: string): boolean {
  if (/\{[^}]*\\p[1-9]/.test(text)) return true;
  const plain = stripTags(text);
  return (
    NO_LETTERS.test(plain) || ANNOTATIONS_ONLY.test(plain) || MUSIC.test(plain[0] ?? '') || /^#\s/.test(plain)
  );
}
