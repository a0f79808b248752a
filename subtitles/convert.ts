import type { Cue, SubtitleDocument, SubtitleFormat } from './cue.js';
import { DEFAULT_ASS_HEADER, parseAssHeader } from './ass.js';

/**
 * Conversion between formats, keeping formatting where the target can express it:
 * ASS `{\i1}…{\i0}`, `\b`, `\u`, `\s` and `\c&HBBGGRR&` become `<i> <b> <u> <s> <font color>` (SRT) or
 * `<i> <b> <u>` (WebVTT, which has no colours), a style's own Italic/Bold wraps the whole cue, `{\anN}`
 * survives into SRT (players honour it there), `\h` becomes a no-break space, ASS drawings are dropped;
 * and the reverse for SRT/WebVTT → ASS, where a WebVTT voice `<v Name>` fills the event's Name field.
 * Format-specific fields (SRT position, WebVTT ids and settings, ASS event fields) do not carry over.
 */

/** Text styles ASS overrides and SRT/WebVTT tags share: italic, bold, underline, strike-out. */
export type Mark = 'i' | 'b' | 'u' | 's';
const MARKS: Mark[] = ['i', 'b', 'u', 's'];

interface AssState {
  marks: Record<Mark, boolean>;
  color?: string;
}

const isOn = (value: string | undefined): boolean => value !== undefined && value !== '' && value !== '0';
// `\b` also takes a font weight: 1 or 700+ is bold, 0 or 100–600 is not.
const markOn = (mark: Mark, arg: string): boolean =>
  mark === 'b' && Number(arg) > 1 ? Number(arg) >= 700 : isOn(arg);

/** `&HBBGGRR&` (alpha optional) → `#rrggbb`. */
function assColorToHex(value: string): string | undefined {
  const match = /&H([0-9a-f]{0,8})&?/i.exec(value);
  if (!match) return undefined;
  const bgr = match[1].padStart(6, '0').slice(-6);
  return `#${bgr.slice(4, 6)}${bgr.slice(2, 4)}${bgr.slice(0, 2)}`.toLowerCase();
}

function escapeVtt(text: string): string {
  return text
    .replace(/&(?!(?:amp|lt|gt|nbsp|lrm|rlm|#\d+|#x[0-9a-f]+);)/gi, '&amp;')
    .replace(/<(?![/]?[a-z]|\d)/gi, '&lt;');
}

function decodeVttEntities(text: string, nbsp: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, nbsp)
    .replace(/&lrm;/g, '\u200E')
    .replace(/&rlm;/g, '\u200F')
    .replace(/&amp;/g, '&');
}

/** Turns ASS cue text into SRT or WebVTT markup; `base` holds the cue's style (Italic, Bold …). */
export function assTextToHtml(text: string, target: 'srt' | 'vtt', base: Record<Mark, boolean>): string {
  const open: Array<Mark | 'font'> = [];
  const state: AssState = { marks: { ...base } };
  let out = '';
  let drawing = false;
  let prefix = '';
  let textSeen = false;
  let openColor: string | undefined;
  const sync = (): void => {
    const wanted = (tag: Mark | 'font'): boolean =>
      tag === 'font'
        ? target === 'srt' && state.color !== undefined
        : state.marks[tag] && (target === 'srt' || tag !== 's');
    // Close down to the first tag that must go (HTML needs proper nesting), then reopen what is still wanted.
    const cut = open.findIndex((tag) => !wanted(tag) || (tag === 'font' && openColor !== state.color));
    if (cut >= 0) {
      for (const tag of open.splice(cut).reverse()) out += `</${tag}>`;
    }
    for (const tag of [...MARKS, 'font'] as const) {
      if (wanted(tag) && !open.includes(tag)) {
        out += tag === 'font' ? `<font color="${state.color}">` : `<${tag}>`;
        if (tag === 'font') openColor = state.color;
        open.push(tag);
      }
    }
  };
  sync();
  for (const token of text.match(/\{[^}]*\}|\\[Nnh]|[^{\\]+|[{\\]/g) ?? []) {
    if (token.startsWith('{') && token.endsWith('}')) {
      for (const [, name, arg] of token.matchAll(/\\(\d?[a-z]+)([^\\}]*)/gi)) {
        const key = name.toLowerCase();
        if ((MARKS as string[]).includes(key)) {
          state.marks[key as Mark] = arg === '' ? base[key as Mark] : markOn(key as Mark, arg);
        } else if (key === 'c' || key === '1c') {
          state.color = arg ? assColorToHex(arg) : undefined;
        } else if (key === 'r' || /^r[A-Z]/.test(name)) {
          state.marks = { ...base };
          state.color = undefined;
        } else if (key === 'p') {
          drawing = isOn(arg);
        } else if ((key === 'an' || key === 'a') && !textSeen && target === 'srt') {
          prefix = `{\\${key}${arg}}`;
        }
      }
      continue;
    }
    if (drawing) continue;
    textSeen = true;
    sync();
    if (token === '\\N') out += '\n';
    else if (token === '\\n') out += ' ';
    else if (token === '\\h') out += '\u00A0';
    else out += target === 'vtt' ? escapeVtt(token) : token;
  }
  for (const tag of open.reverse()) out += `</${tag}>`;
  // Drop tags that wrap nothing, e.g. "<i></i>" left where a block switched styles at the very end.
  return prefix + out.replace(/<(i|b|u|s|font)(?: [^>]*)?><\/\1>/g, '');
}

/** Turns SRT or WebVTT markup into ASS overrides; returns the text and the WebVTT voice, if any. */
export function htmlTextToAss(text: string, source: 'srt' | 'vtt'): { text: string; voice?: string } {
  let voice: string | undefined;
  let colorOpen = 0;
  const converted = text.replace(
    /<(\/?)([a-z0-9.:]+)([^>]*)>/gi,
    (_all, close: string, name: string, rest: string) => {
      const tag = name.split('.')[0].toLowerCase();
      if (['i', 'b', 'u', 's'].includes(tag)) return `{\\${tag}${close ? 0 : 1}}`;
      if (tag === 'font') {
        if (close) return colorOpen > 0 ? (colorOpen--, '{\\c}') : '';
        const hex = /color\s*=\s*["']?#([0-9a-f]{6})/i.exec(rest);
        if (!hex) return '';
        colorOpen++;
        const rgb = hex[1].toUpperCase();
        return `{\\c&H${rgb.slice(4, 6)}${rgb.slice(2, 4)}${rgb.slice(0, 2)}&}`;
      }
      if (tag === 'v' && !close) voice ??= rest.trim();
      return '';
    },
  );
  const decoded = source === 'vtt' ? decodeVttEntities(converted, '\\h') : converted;
  return voice ? { text: decoded, voice } : { text: decoded };
}

/** SRT ↔ WebVTT: drops what the target lacks (`<font>`, `{\anN}` / voices, classes), escapes or decodes entities. */
function htmlTextToHtml(text: string, from: 'srt' | 'vtt', to: 'srt' | 'vtt'): string {
  if (from === to) return text;
  if (to === 'vtt') {
    return escapeVtt(text.replace(/<\/?font[^>]*>/gi, '').replace(/\{\\an?\d+\}/g, ''));
  }
  const kept = text.replace(/<(\/?)([a-z0-9.:]+)[^>]*>/gi, (all, _close: string, name: string) =>
    ['i', 'b', 'u'].includes(name.split('.')[0].toLowerCase()) ? all.replace(/\.[^>\s]*/, '') : '',
  );
  return decodeVttEntities(kept, '\u00A0');
}

function styleMarks(doc: SubtitleDocument): (cue: Cue) => Record<Mark, boolean> {
  const styles = doc.header ? parseAssHeader(doc.header).styles : [];
  const flag = (value: string | undefined): boolean => value !== undefined && value !== '0' && value !== '';
  return (cue) => {
    const style = styles.find((s) => s.Name === cue.extra?.Style) ?? styles.find((s) => s.Name === 'Default');
    return {
      i: flag(style?.Italic),
      b: flag(style?.Bold),
      u: flag(style?.Underline),
      s: flag(style?.StrikeOut),
    };
  };
}

/** The same cues in another format: times unchanged, formatting translated as described above. */
export function convertDocument(doc: SubtitleDocument, toFormat: SubtitleFormat): SubtitleDocument {
  if (doc.format === toFormat) return doc;
  if (doc.format === 'ass') {
    const marksOf = styleMarks(doc);
    const target = toFormat as 'srt' | 'vtt';
    return {
      format: toFormat,
      cues: doc.cues.map((cue) => ({
        start: cue.start,
        end: cue.end,
        text: assTextToHtml(cue.text, target, marksOf(cue)),
      })),
    };
  }
  const from = doc.format;
  if (toFormat === 'ass') {
    return {
      format: 'ass',
      header: DEFAULT_ASS_HEADER,
      cues: doc.cues.map((cue) => {
        const { text, voice } = htmlTextToAss(cue.text, from);
        return voice
          ? { start: cue.start, end: cue.end, text, extra: { Name: voice } }
          : { start: cue.start, end: cue.end, text };
      }),
    };
  }
  return {
    format: toFormat,
    ...(toFormat === 'vtt' ? { header: 'WEBVTT' } : {}),
    cues: doc.cues.map((cue) => ({
      start: cue.start,
      end: cue.end,
      text: htmlTextToHtml(cue.text, from, toFormat),
    })),
  };
}
