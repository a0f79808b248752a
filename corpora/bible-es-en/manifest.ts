import type { ShiftedChapter } from './verseShifts.js';

/** One corpus file as `manifest.json` records it; `sha256`, `bytes` and `lines` are of the uncompressed text. */
export interface ManifestFile {
  /** File name inside the corpus folder; ends in `.gz` when the text is stored gzipped. */
  path: string;
  lines: number;
  bytes: number;
  sha256: string;
}

/** Where a corpus side comes from. */
export interface ManifestSource {
  language: string;
  /** SWORD module name, as `mod2imp` takes it. */
  module: string;
  /** Debian package holding the module, and its version (`dpkg-query -W`). */
  package: string;
  version: string;
  title: string;
  licence: string;
}

/** `manifest.json` of a bundled corpus: provenance, licence, split, counts and checksums. */
export interface CorpusManifest {
  name: string;
  description: string;
  sourceLanguage: string;
  targetLanguage: string;
  sources: ManifestSource[];
  tools: { package: string; version: string; command: string }[];
  /** How the splits were made; seed and sizes where a hash split made them. */
  split: { method: string; seed?: number; devSize?: number; testSize?: number };
  /** Lines (verse pairs) per split. */
  counts: Record<string, number>;
  /** Keyed by logical name (`train.es`), whatever the stored path. */
  files: Record<string, ManifestFile>;
  dropped?: {
    chapters: { chapter: string; reason: string }[];
    verses: Record<string, number>;
    spanishSubscriptionsRemoved: Record<string, string>;
  };
}

/** One line saying how a dropped chapter's verse numbers are shifted and how sure the detector is. */
export function describeShift(chapter: ShiftedChapter): string {
  const sign = chapter.shift > 0 ? '+' : '-';
  return (
    `verse numbers shifted: Spanish verse v${sign}${Math.abs(chapter.shift)} is English verse v from verse ` +
    `${chapter.fromVerse} on (${chapter.shiftedVerses} verses); length-alignment cost ` +
    `${chapter.cost.toFixed(1)} shifted vs ${chapter.unshiftedCost.toFixed(1)} by reference`
  );
}
