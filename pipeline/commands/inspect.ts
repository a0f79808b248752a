import type { Command } from 'commander';
import { formatStreamTable, probeMedia } from '../../subtitles/media.js';
import { formatFromFileName } from '../../subtitles/formats.js';
import { readSubtitleFile, type SubtitleFile } from '../../subtitles/readSubtitleFile.js';
import { formatSrtTimestamp } from '../../subtitles/timestamp.js';
import { checkEncodingName } from '../../subtitles/encoding.js';
import { withInterrupt } from '../interrupt.js';
import { describeFailure } from '../../jobs/jobsReporter.js';

interface InspectFlags {
  encoding?: string;
  strict?: boolean;
}

/**
 * What `subflow inspect` prints for a subtitle file: format, encoding, cue count and time span on
 * one line, then one line per warning of the lenient parse (with its line number).
 */
export function describeSubtitleFile(file: SubtitleFile): string {
  const { document } = file;
  const cues = document.cues;
  const first = cues.reduce((min, cue) => Math.min(min, cue.start), cues[0]?.start ?? 0);
  const last = cues.reduce((max, cue) => Math.max(max, cue.end), 0);
  const span = cues.length ? `, ${formatSrtTimestamp(first)} → ${formatSrtTimestamp(last)}` : '';
  const duration = formatSrtTimestamp(last - first).replace(/,\d+$/, '');
  const lines = [
    `${file.path}: ${document.format}, ${file.encoding}${file.hadBom ? ' with BOM' : ''}, ` +
      `${cues.length} cues, duration ${duration}${span}, ${file.warnings.length} warning(s)`,
  ];
  for (const warning of file.warnings) {
    lines.push(`  warning: ${warning.line !== undefined ? `line ${warning.line}: ` : ''}${warning.message}`);
  }
  return lines.join('\n');
}

/** The report for one file: a subtitle file's summary, or a media file's stream table. */
export async function inspectFile(
  path: string,
  flags: InspectFlags = {},
  signal?: AbortSignal,
): Promise<string> {
  if (formatFromFileName(path)) {
    return describeSubtitleFile(
      await readSubtitleFile(path, { encoding: flags.encoding, strict: flags.strict }),
    );
  }
  return formatStreamTable(await probeMedia(path, { signal }));
}

/** `subflow inspect FILE…`: the streams of videos, or format/encoding/cues/warnings of subtitle files. */
export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description(
      'list the streams of a video, or describe a subtitle file (format, encoding, cues, warnings)',
    )
    .argument('<files...>', 'videos or subtitle files (.srt .vtt .ass .ssa)')
    .option('--encoding <codepage>', 'decode subtitle files with this encoding (cp1252, gbk …)')
    .option('--strict', 'refuse malformed subtitle files instead of listing warnings')
    .action(async (files: string[], flags: InspectFlags) => {
      if (flags.encoding !== undefined) checkEncodingName(flags.encoding);
      let failures = 0;
      await withInterrupt(async (signal) => {
        for (const [k, file] of files.entries()) {
          try {
            const report = await inspectFile(file, flags, signal);
            process.stdout.write(`${k > 0 ? '\n' : ''}${report}\n`);
          } catch (error) {
            // One unreadable file should not hide the others: report it and go on (exit code 1).
            if (files.length === 1) throw error;
            failures += 1;
            process.stderr.write(`subflow: ${file}: ${describeFailure(error)}\n`);
          }
        }
      });
      if (failures > 0) process.exitCode = 1;
    });
}
