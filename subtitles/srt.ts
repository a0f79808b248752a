import type { Cue, SubtitleDocument, SubtitleParseOptions, SubtitleParseResult } from './cue.js';
import { createIssueReporter, splitLines } from './parseIssues.js';
import { formatSrtTimestamp, readTimingLine } from './timestamp.js';

/** SubRip (.srt): numbered cues, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, text lines, a blank line between cues. */

const INDEX_LINE = /^\s*\d+\s*$/;

const quote = (line: string): string => JSON.stringify(line.length > 40 ? `${line.slice(0, 40)}…` : line);

/**
 * Parses SRT text leniently: missing or wrong index numbers, missing blank lines between cues,
 * non-canonical timestamps (`00:00:01.500`, `01:02,5`), arrows other than `-->` or without spaces,
 * negative times (set to 0), end before start and overlaps are accepted with a warning naming the
 * line and the repair; a cue whose times cannot be read at all is skipped with a warning.
 * With `strict: true` the first such problem throws `SubflowError('SUBTITLE_PARSE')` naming file and line.
 * A BOM and CRLF or CR line ends are always accepted.
 */
export function parse(text: string, options: SubtitleParseOptions = {}): SubtitleParseResult {
  const issues = createIssueReporter(options);
  const lines = splitLines(text);
  // "-->" marks a timing line even when its times are unreadable; a repairable line must be readable.
  const isTimingAt = (i: number): boolean =>
    i < lines.length && (lines[i].includes('-->') || readTimingLine(lines[i], 'srt') !== undefined);
  // An index line only counts as one when a timing line follows it; otherwise "1984" is cue text.
  const isIndexAt = (i: number): boolean => INDEX_LINE.test(lines[i] ?? '') && isTimingAt(i + 1);
  const cues: Cue[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i].trim() === '') {
      i++;
      continue;
    }
    let timingAt = i;
    if (isIndexAt(i)) {
      const index = Number(lines[i].trim());
      if (index !== cues.length + 1) {
        issues.warn(i + 1, `cue number ${index} where ${cues.length + 1} was expected`);
      }
      timingAt = i + 1;
    } else if (isTimingAt(i)) {
      issues.warn(i + 1, 'cue has no number line before its timing line');
    } else {
      issues.warn(i + 1, `line outside any cue: ${quote(lines[i])}`, 'skipped');
      i++;
      continue;
    }

    // Text runs to a blank line, or to the next cue when the blank line is missing.
    const textLines: string[] = [];
    let j = timingAt + 1;
    while (j < lines.length && lines[j].trim() !== '') {
      if (isTimingAt(j) || isIndexAt(j)) {
        issues.warn(j + 1, 'missing blank line before this cue');
        break;
      }
      textLines.push(lines[j]);
      j++;
    }
    i = j;

    const timing = readTimingLine(lines[timingAt], 'srt');
    const lineNo = timingAt + 1;
    if (!timing) {
      issues.warn(lineNo, `unreadable timing line ${quote(lines[timingAt])}`, 'cue skipped');
      continue;
    }
    for (const repair of timing.repairs) issues.warn(lineNo, repair.problem, repair.outcome);
    const { start, end } = timing;
    if (end < start) issues.warn(lineNo, 'cue ends before it starts');
    const previous = cues.at(-1);
    if (previous && start < previous.end) {
      issues.warn(lineNo, `cue starts at ${formatSrtTimestamp(start)}, before the previous cue ends`);
    }
    const cue: Cue = { start, end, text: textLines.join('\n') };
    // Old SRT players read X1:… Y1:… box coordinates after the end time.
    if (timing.rest) cue.extra = { position: timing.rest };
    cues.push(cue);
  }
  return { document: { format: 'srt', cues }, warnings: issues.warnings };
}

/** Writes SRT with LF line ends, cues renumbered from 1. Blank lines inside a cue's text are dropped (they would end the cue). */
export function write(document: SubtitleDocument): string {
  return document.cues
    .map((cue, i) => {
      const position = cue.extra?.position ? ` ${cue.extra.position}` : '';
      const text = cue.text.replace(/\n(?:[ \t]*\n)+/g, '\n').replace(/^\s*\n|\n\s*$/g, '');
      return `${i + 1}\n${formatSrtTimestamp(cue.start)} --> ${formatSrtTimestamp(cue.end)}${position}\n${text}\n`;
    })
    .join('\n');
}
