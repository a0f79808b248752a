import type { Cue, SubtitleDocument, SubtitleParseOptions, SubtitleParseResult } from './cue.js';
import { createIssueReporter, splitLines } from './parseIssues.js';
import { formatAssTimestamp, parseAssTimestamp } from './timestamp.js';

/**
 * Advanced SubStation Alpha / SSA (.ass, .ssa). Lossless by keeping raw text: everything before the first
 * Dialogue line ([Script Info], [V4+ Styles], the [Events] Format line) is `document.header`; Comment
 * lines and anything else between Dialogue lines goes to the next cue's `extra.before`; everything after
 * the last Dialogue line ([Fonts], [Graphics] …) is `document.trailer`. Each Dialogue's fields other than
 * Start, End and Text are kept as raw strings in `extra`, keyed by the Format line's names (Layer, Style,
 * Name, MarginL, MarginR, MarginV, Effect; `Marked` in SSA). `\N` in Text becomes `\n` and back on write.
 */

/** The [Events] Format of ASS (v4+) files, used when a file has none. */
export const DEFAULT_ASS_EVENT_FIELDS = [
  'Layer',
  'Start',
  'End',
  'Style',
  'Name',
  'MarginL',
  'MarginR',
  'MarginV',
  'Effect',
  'Text',
] as const;

/** A minimal ASS header (one Default style) for documents converted from SRT or WebVTT. */
export const DEFAULT_ASS_HEADER = [
  '[Script Info]',
  'ScriptType: v4.00+',
  'PlayResX: 384',
  'PlayResY: 288',
  'WrapStyle: 0',
  'ScaledBorderAndShadow: yes',
  '',
  '[V4+ Styles]',
  'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, ' +
    'Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, ' +
    'MarginR, MarginV, Encoding',
  'Style: Default,Arial,16,&H00FFFFFF,&H000000FF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1',
  '',
  '[Events]',
  `Format: ${DEFAULT_ASS_EVENT_FIELDS.join(', ')}`,
].join('\n');

const SECTION_LINE = /^\s*\[([^\]]+)\]\s*$/;
const FORMAT_LINE = /^\s*Format\s*:(.*)$/i;
const DIALOGUE_LINE = /^Dialogue:\s?(.*)$/;

/** Parsed view of an ASS header, for reading (the raw header stays the source of truth). */
export interface AssHeader {
  /** `Key: value` lines of [Script Info]. */
  scriptInfo: Record<string, string>;
  /** One record per Style line, keyed by the styles Format line. */
  styles: Record<string, string>[];
  /** The [Events] Format field names. */
  eventFields: string[];
}

/** Reads script info, styles and the event Format out of a raw ASS header. */
export function parseAssHeader(header: string): AssHeader {
  const result: AssHeader = { scriptInfo: {}, styles: [], eventFields: [...DEFAULT_ASS_EVENT_FIELDS] };
  let section = '';
  let styleFields: string[] = [];
  for (const line of splitLines(header)) {
    const sectionMatch = SECTION_LINE.exec(line);
    if (sectionMatch) {
      section = sectionMatch[1].trim().toLowerCase();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0 || line.startsWith(';')) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (section === 'script info') {
      result.scriptInfo[key] = value;
    } else if (section.endsWith('styles')) {
      if (key === 'Format') styleFields = value.split(',').map((f) => f.trim());
      else if (key === 'Style') result.styles.push(zipFields(styleFields, value));
    } else if (section === 'events' && key === 'Format') {
      result.eventFields = value.split(',').map((f) => f.trim());
    }
  }
  return result;
}

// The last field (Text for events) takes the rest of the line, commas included.
function splitFields(value: string, count: number): string[] {
  const parts: string[] = [];
  let rest = value;
  for (let k = 0; k < count - 1; k++) {
    const comma = rest.indexOf(',');
    if (comma < 0) break;
    parts.push(rest.slice(0, comma));
    rest = rest.slice(comma + 1);
  }
  parts.push(rest);
  return parts;
}

function zipFields(fields: string[], value: string): Record<string, string> {
  const parts = splitFields(value, fields.length);
  return Object.fromEntries(fields.map((field, k) => [field, (parts[k] ?? '').trim()]));
}

/** Parses ASS/SSA; an unreadable Dialogue line is kept verbatim (as non-cue text) with a warning. */
export function parse(text: string, options: SubtitleParseOptions = {}): SubtitleParseResult {
  const issues = createIssueReporter(options);
  const lines = splitLines(text);
  if (lines.at(-1) === '') lines.pop();
  const cues: Cue[] = [];
  const headerLines: string[] = [];
  let pending: string[] = [];
  let section = '';
  let fields: string[] = [...DEFAULT_ASS_EVENT_FIELDS];
  if (!lines.some((line) => /^\s*\[Script Info\]\s*$/i.test(line)))
    issues.warn(1, 'no [Script Info] section');
  lines.forEach((line, i) => {
    const keep = (): void => void (cues.length === 0 ? headerLines : pending).push(line);
    const sectionMatch = SECTION_LINE.exec(line);
    if (sectionMatch) section = sectionMatch[1].trim().toLowerCase();
    const formatMatch = section === 'events' ? FORMAT_LINE.exec(line) : null;
    if (formatMatch) fields = formatMatch[1].split(',').map((f) => f.trim());
    const dialogue = section === 'events' ? DIALOGUE_LINE.exec(line) : null;
    if (!dialogue) return keep();
    const parts = splitFields(dialogue[1], fields.length);
    const value = (name: string): string | undefined => {
      const k = fields.indexOf(name);
      return k < 0 ? undefined : parts[k];
    };
    const start = parseAssTimestamp(value('Start') ?? '');
    const end = parseAssTimestamp(value('End') ?? '');
    if (parts.length !== fields.length || !start || !end) {
      issues.warn(i + 1, 'unreadable Dialogue line', 'kept as is, not as a cue');
      return keep();
    }
    if (end.ms < start.ms) issues.warn(i + 1, 'cue ends before it starts');
    const extra: Record<string, string> = {};
    fields.forEach((name, k) => {
      if (name !== 'Start' && name !== 'End' && name !== 'Text') extra[name] = parts[k];
    });
    if (pending.length > 0) extra.before = pending.join('\n');
    pending = [];
    cues.push({ start: start.ms, end: end.ms, text: (value('Text') ?? '').replace(/\\N/g, '\n'), extra });
  });
  const document: SubtitleDocument = { format: 'ass', cues, header: headerLines.join('\n') };
  if (pending.length > 0) document.trailer = pending.join('\n');
  return { document, warnings: issues.warnings };
}

// Defaults for event fields a cue converted from another format does not have.
function defaultField(name: string): string {
  if (name === 'Style') return 'Default';
  if (name === 'Layer' || name === 'Marked' || name.startsWith('Margin')) return '0';
  return '';
}

/** Writes ASS with LF line ends, using the header's event Format (or the default header when there is none). */
export function write(document: SubtitleDocument): string {
  const header = document.header ?? DEFAULT_ASS_HEADER;
  const fields = parseAssHeader(header).eventFields;
  const out = [header];
  for (const cue of document.cues) {
    if (cue.extra?.before) out.push(cue.extra.before);
    const values = fields.map((name) => {
      if (name === 'Start') return formatAssTimestamp(cue.start);
      if (name === 'End') return formatAssTimestamp(cue.end);
      if (name === 'Text') return cue.text.replace(/\r?\n/g, '\\N');
      // A comma inside a field would shift every later field, so it cannot be written.
      return (cue.extra?.[name] ?? defaultField(name)).replace(/,/g, ';');
    });
    out.push(`Dialogue: ${values.join(',')}`);
  }
  if (document.trailer) out.push(document.trailer);
  return `${out.join('\n')}\n`;
}
