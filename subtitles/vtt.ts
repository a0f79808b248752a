import type { Cue, SubtitleDocument, SubtitleParseOptions, SubtitleParseResult } from './cue.js';
import { createIssueReporter, splitLines } from './parseIssues.js';
import { formatVttTimestamp, readTimingLine } from './timestamp.js';

/**
 * WebVTT (.vtt). The `WEBVTT` line and every block before the first cue (header metadata, STYLE, REGION,
 * NOTE) are kept verbatim in `document.header`; NOTE blocks between cues in the next cue's `extra.before`;
 * blocks after the last cue in `document.trailer`. Cue ids and settings go to `extra.id` / `extra.settings`.
 */

interface Block {
  firstLine: number;
  lines: string[];
}

function blocksOf(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  lines.forEach((line, i) => {
    if (line.trim() === '') {
      current = undefined;
    } else if (current) {
      current.lines.push(line);
    } else {
      current = { firstLine: i + 1, lines: [line] };
      blocks.push(current);
    }
  });
  return blocks;
}

/**
 * Parses WebVTT; timing lines with one reading are repaired with a warning (as in SRT: arrow, spaces,
 * `,` for `.`, negative times), cues with unreadable times are skipped with a warning; strict refuses both.
 */
export function parse(text: string, options: SubtitleParseOptions = {}): SubtitleParseResult {
  const issues = createIssueReporter(options);
  const blocks = blocksOf(splitLines(text));
  const cues: Cue[] = [];
  const headerBlocks: string[] = [];
  let pending: string[] = [];
  if (blocks.length === 0 || !/^WEBVTT(?:[ \t]|$)/.test(blocks[0].lines[0])) {
    issues.warn(blocks[0]?.firstLine ?? 1, 'file does not start with the WEBVTT line');
  }
  for (const [b, block] of blocks.entries()) {
    const timingIndex = block.lines.findIndex(
      (line) => line.includes('-->') || readTimingLine(line, 'vtt') !== undefined,
    );
    const isCue = timingIndex === 0 || timingIndex === 1;
    if (!isCue) {
      const first = block.lines[0];
      if (b > 0 && !/^(NOTE|STYLE|REGION)(?:[ \t]|$)/.test(first) && !first.startsWith('WEBVTT')) {
        issues.warn(
          block.firstLine,
          `block is neither a cue nor NOTE/STYLE/REGION: ${JSON.stringify(first)}`,
          'kept as is',
        );
      }
      (cues.length === 0 ? headerBlocks : pending).push(block.lines.join('\n'));
      continue;
    }
    const lineNo = block.firstLine + timingIndex;
    const timing = readTimingLine(block.lines[timingIndex], 'vtt');
    if (!timing) {
      issues.warn(
        lineNo,
        `unreadable timing line ${JSON.stringify(block.lines[timingIndex])}`,
        'cue skipped',
      );
      continue;
    }
    for (const repair of timing.repairs) issues.warn(lineNo, repair.problem, repair.outcome);
    if (timing.end < timing.start) issues.warn(lineNo, 'cue ends before it starts');
    const extra: Record<string, string> = {};
    if (timingIndex === 1) extra.id = block.lines[0];
    if (timing.rest) extra.settings = timing.rest;
    if (pending.length > 0) extra.before = pending.join('\n\n');
    pending = [];
    const cue: Cue = {
      start: timing.start,
      end: timing.end,
      text: block.lines.slice(timingIndex + 1).join('\n'),
    };
    if (Object.keys(extra).length > 0) cue.extra = extra;
    cues.push(cue);
  }
  const document: SubtitleDocument = { format: 'vtt', cues, header: headerBlocks.join('\n\n') || 'WEBVTT' };
  if (pending.length > 0) document.trailer = pending.join('\n\n');
  return { document, warnings: issues.warnings };
}

/** Writes WebVTT with LF line ends; a document without a header gets a bare `WEBVTT` line. */
export function write(document: SubtitleDocument): string {
  const blocks = [document.header ?? 'WEBVTT'];
  for (const cue of document.cues) {
    if (cue.extra?.before) blocks.push(cue.extra.before);
    const id = cue.extra?.id ? `${cue.extra.id}\n` : '';
    const settings = cue.extra?.settings ? ` ${cue.extra.settings}` : '';
    // A blank line would end the cue early, and "-->" inside a payload is forbidden by the spec.
    const text = cue.text
      .replace(/\n(?:[ \t]*\n)+/g, '\n')
      .replace(/^\s*\n|\n\s*$/g, '')
      .replace(/-->/g, '--&gt;');
    blocks.push(
      `${id}${formatVttTimestamp(cue.start)} --> ${formatVttTimestamp(cue.end)}${settings}\n${text}`.trimEnd(),
    );
  }
  if (document.trailer) blocks.push(document.trailer);
  return `${blocks.join('\n\n')}\n`;
}
