/** Timestamps of the three formats, parsed leniently and written canonically. All times in milliseconds. */

/** A parsed clock time and whether it was written in the format's canonical form. */
export interface ParsedTimestamp {
  ms: number;
  canonical: boolean;
}

// Hours optional, any separator before the fraction, 1-3 fraction digits: covers what editors emit in the wild.
const LENIENT = /^(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:([,.:])(\d{1,3}))?$/;

function parseLenient(
  text: string,
): { ms: number; hours: string | undefined; separator: string; fraction: string } | undefined {
  const match = LENIENT.exec(text.trim());
  if (!match) return undefined;
  const [, hours, minutes, seconds, separator = '', fraction = ''] = match;
  if (Number(minutes) > 59 || Number(seconds) > 59) return undefined;
  // The fraction is a decimal fraction of a second: ",5" is 500 ms, ",05" 50 ms.
  const fractionMs = fraction === '' ? 0 : Math.round(Number(fraction) * 10 ** (3 - fraction.length));
  const ms = ((Number(hours ?? 0) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + fractionMs;
  return { ms, hours, separator, fraction };
}

/** Parses an SRT time (`00:01:02,345`); also accepts a dot, missing hours or short fractions (not canonical). */
export function parseSrtTimestamp(text: string): ParsedTimestamp | undefined {
  const parsed = parseLenient(text);
  if (!parsed) return undefined;
  const canonical = /^\d{2,}:\d{2}:\d{2},\d{3}$/.test(text.trim());
  return { ms: parsed.ms, canonical };
}

/** Parses a WebVTT time (`01:02.345` or `00:01:02.345`). */
export function parseVttTimestamp(text: string): ParsedTimestamp | undefined {
  const parsed = parseLenient(text);
  if (!parsed) return undefined;
  const canonical = /^(\d{2,}:)?\d{2}:\d{2}\.\d{3}$/.test(text.trim());
  return { ms: parsed.ms, canonical };
}

/** Parses an ASS time (`0:01:02.34`, centiseconds). */
export function parseAssTimestamp(text: string): ParsedTimestamp | undefined {
  const parsed = parseLenient(text);
  if (!parsed || parsed.hours === undefined) return undefined;
  const canonical = /^\d+:\d{2}:\d{2}\.\d{2}$/.test(text.trim());
  return { ms: parsed.ms, canonical };
}

/** A problem a timing line had, and what the lenient reading did about it. */
export interface TimingRepair {
  problem: string;
  outcome: string;
}

/** A cue timing line (`start --> end [settings]`), read with the repairs that have one reading. */
export interface TimingLine {
  start: number;
  end: number;
  /** What follows the end time: SRT box coordinates, WebVTT cue settings. */
  rest?: string;
  /** In line order; empty for a well-formed line. */
  repairs: TimingRepair[];
}

// Timestamps may carry a sign here so a negative time is recognised (and clamped) rather than lost;
// "->", "--->" and dash look-alikes are arrows a typist or a word processor made of "-->".
const TIMING_LINE = /^\s*(-?\d\S*?)(\s*)(-{1,3}>|[\u2013\u2014]-?>)(\s*)(-?\d\S*)(?:\s+(.*?))?\s*$/;

const TIMING_FORMATS = {
  srt: { parse: parseSrtTimestamp, format: formatSrtTimestamp, form: 'the SRT form HH:MM:SS,mmm' },
  vtt: { parse: parseVttTimestamp, format: formatVttTimestamp, form: 'the WebVTT form [HH:]MM:SS.mmm' },
} as const;

/**
 * Reads an SRT or WebVTT timing line, repairing what has only one reading: another arrow for `-->`,
 * no spaces around it, a non-canonical timestamp (`.` for `,` and the like), a negative time
 * (clamped to 0). Undefined when a time cannot be read at all.
 */
export function readTimingLine(line: string, format: 'srt' | 'vtt'): TimingLine | undefined {
  const match = TIMING_LINE.exec(line);
  if (!match) return undefined;
  const [, startText, spaceBefore, arrow, spaceAfter, endText, rest] = match;
  const { parse, format: write, form } = TIMING_FORMATS[format];
  const repairs: TimingRepair[] = [];
  if (arrow !== '-->')
    repairs.push({ problem: `timing arrow "${arrow}", not "-->"`, outcome: 'read as "-->"' });
  if (spaceBefore === '' || spaceAfter === '')
    repairs.push({ problem: 'no space around "-->"', outcome: 'repaired' });
  const times: number[] = [];
  for (const stamp of [startText, endText]) {
    const negative = stamp.startsWith('-');
    const parsed = parse(negative ? stamp.slice(1) : stamp);
    if (!parsed) return undefined;
    if (negative) {
      repairs.push({ problem: `negative time "${stamp}"`, outcome: `set to ${write(0)}` });
      times.push(0);
      continue;
    }
    if (!parsed.canonical)
      repairs.push({
        problem: `timestamp "${stamp}" is not in ${form}`,
        outcome: `read as ${write(parsed.ms)}`,
      });
    times.push(parsed.ms);
  }
  return { start: times[0], end: times[1], ...(rest ? { rest } : {}), repairs };
}

function clock(ms: number): { h: number; m: number; s: number; rest: number } {
  const total = Math.max(0, Math.round(ms));
  return {
    h: Math.floor(total / 3_600_000),
    m: Math.floor(total / 60_000) % 60,
    s: Math.floor(total / 1000) % 60,
    rest: total % 1000,
  };
}

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/** `HH:MM:SS,mmm` */
export function formatSrtTimestamp(ms: number): string {
  const { h, m, s, rest } = clock(ms);
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)},${pad(rest, 3)}`;
}

/** `HH:MM:SS.mmm` */
export function formatVttTimestamp(ms: number): string {
  const { h, m, s, rest } = clock(ms);
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(rest, 3)}`;
}

/** `H:MM:SS.cc`; rounds to the nearest centisecond before splitting so 59.995 s carries into the minute. */
export function formatAssTimestamp(ms: number): string {
  const { h, m, s, rest } = clock(Math.round(ms / 10) * 10);
  return `${h}:${pad(m, 2)}:${pad(s, 2)}.${pad(rest / 10, 2)}`;
}
