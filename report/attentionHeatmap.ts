import { EOS_PIECE } from '../text/wordAlignment.js';
import { vegaLiteToSvg } from './vegaSvg.js';

/** An attention matrix with the pieces its axes stand for. */
export interface AttentionPlot {
  /** Weights of each output piece over the source pieces, [targetPieces][sourcePieces]. */
  attention: readonly ArrayLike<number>[];
  sourcePieces: readonly string[];
  targetPieces: readonly string[];
  /** Shown above the plot, e.g. the source sentence. */
  title?: string;
}

/** Pixels per cell side: big enough for the weight to read as a colour, small enough for 60 pieces. */
export const HEATMAP_CELL = 18;

/**
 * The Vega-Lite spec of an attention heatmap: source pieces along the top (x), target pieces down the
 * side (y), one cell per pair, darker for more weight (0 white … 1 dark blue, linearly). Axes are keyed by
 * position, so a piece that occurs twice gets two columns, and labelled with the piece text.
 */
export function attentionHeatmapSpec(plot: AttentionPlot) {
  /** Pixels per cell side. */
  const { attention, sourcePieces, targetPieces } = plot;
  const values = targetPieces.flatMap((target, t) =>
    sourcePieces.map((source, s) => ({
      t,
      s,
      target,
      source,
      weight: Math.round((attention[t]?.[s] ?? 0) * 1000) / 1000,
    })),
  );
  const label = (pieces: readonly string[]) => `${JSON.stringify(pieces.map(showPiece))}[datum.value]`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(plot.title ? { title: { text: plot.title, fontSize: 12, anchor: 'start' as const } } : {}),
    data: { values },
    width: HEATMAP_CELL * sourcePieces.length,
    height: HEATMAP_CELL * targetPieces.length,
    // No per-cell aria labels or tooltips: a static SVG shows neither, and they triple its size.
    mark: { type: 'rect' as const, aria: false },
    encoding: {
      x: {
        field: 's',
        type: 'ordinal' as const,
        title: 'source pieces',
        axis: { orient: 'top' as const, labelAngle: -50, labelExpr: label(sourcePieces) },
      },
      y: {
        field: 't',
        type: 'ordinal' as const,
        title: 'output pieces',
        axis: { labelExpr: label(targetPieces) },
      },
      color: {
        field: 'weight',
        type: 'quantitative' as const,
        title: 'attention',
        scale: { domain: [0, 1], range: ['#ffffff', '#08306b'] },
      },
    },
    config: { view: { stroke: null } },
  };
}

/** An attention heatmap as a standalone SVG (see {@link attentionHeatmapSpec}). */
export function attentionHeatmapSvg(plot: AttentionPlot): Promise<string> {
  return vegaLiteToSvg(attentionHeatmapSpec(plot));
}

// `▁` (a space before the piece) is shown as a visible space mark so word starts stay readable.
function showPiece(piece: string): string {
  return piece === EOS_PIECE ? piece : piece.replaceAll('▁', '·');
}
