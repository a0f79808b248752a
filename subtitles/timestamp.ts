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
