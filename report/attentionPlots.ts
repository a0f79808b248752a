import { join } from 'node:path';
import type { Translation } from '../types.js';
import { writeTextFile } from '../text/textOutput.js';
import { attentionHeatmapSvg } from './attentionHeatmap.js';

/**
 * Writes one attention heatmap per translation that carries attention, as `DIR/sentence-NNN.svg`
 * (1-based, in input order, each file written via a temp file); returns the paths written.
 */
export async function writeAttentionPlots(
  dir: string,
  translations: readonly Translation[],
): Promise<string[]> {
  const written: string[] = [];
  const digits = Math.max(3, String(translations.length).length);
  for (const [index, translation] of translations.entries()) {
    const { attention, sourcePieces, targetPieces } = translation;
    if (!attention || !sourcePieces || !targetPieces) continue;
    const path = join(dir, `sentence-${String(index + 1).padStart(digits, '0')}.svg`);
    const svg = await attentionHeatmapSvg({
      attention,
      sourcePieces,
      targetPieces,
      title: `${index + 1}: ${translation.source} → ${translation.text}`,
    });
    await writeTextFile(path, svg);
    written.push(path);
  }
  return written;
}
