import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cue, SubtitleFormat, SubtitleWarning } from '../../subtitles/cue.js';

/** Hand-written subtitle files beside the JSON they must parse to. */
export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'subtitles');

/** Every golden fixture file name. */
export const FIXTURES = [
  'dialogue.srt',
  'malformed.srt',
  'bom-crlf.srt',
  'cp1252.srt',
  'captions.vtt',
  'styled.ass',
];

/** What a fixture must parse to. */
export interface Golden {
  format: SubtitleFormat;
  encoding: string;
  hadBom: boolean;
  header?: string;
  trailer?: string;
  cues: Cue[];
  warnings: SubtitleWarning[];
}

/** The fixture's bytes. */
export function fixtureBytes(name: string): Buffer {
  return readFileSync(join(FIXTURE_DIR, name));
}

/** The fixture's golden JSON. */
export function golden(name: string): Golden {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, name.replace(/\.\w+$/, '.json')), 'utf8')) as Golden;
}
