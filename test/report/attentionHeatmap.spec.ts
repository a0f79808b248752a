import { expect } from 'chai';
import { attentionHeatmapSvg, HEATMAP_CELL } from '../../report/attentionHeatmap.js';

/** The cells of a Vega SVG heatmap: grid position from each rect's path, and the luminance of its fill. */
function cells(svg: string): Array<{ s: number; t: number; luminance: number }> {
  const marks = [...svg.matchAll(/<path d="M(\d+),(\d+)h18v18h-18Z" fill="rgb\((\d+), (\d+), (\d+)\)"/g)];
  return marks.map(([, x, y, r, g, b]) => ({
    s: Number(x) / HEATMAP_CELL,
    t: Number(y) / HEATMAP_CELL,
    luminance: 0.2126 * Number(r) + 0.7152 * Number(g) + 0.0722 * Number(b),
  }));
}

describe('attention heatmap', function () {
  this.timeout(30_000);

  it('draws one cell per piece pair, darker for more attention, with the pieces as axis labels', async () => {
    // A toy model's known attention: 3 output pieces over 4 source pieces (the last is </s>).
    const attention = [
      [0.7, 0.2, 0.1, 0],
      [0.05, 0.05, 0.85, 0.05],
      [0, 0.3, 0.1, 0.6],
    ];
    const svg = await attentionHeatmapSvg({
      attention,
      sourcePieces: ['▁la', '▁casa', '▁la', '</s>'],
      targetPieces: ['▁the', '▁house', '</s>'],
    });
    const drawn = cells(svg);
    expect(drawn).to.have.length(12);
    expect(new Set(drawn.map((cell) => `${cell.s},${cell.t}`)).size).to.equal(12);
    // Sorted by weight, the cells get darker (lower luminance) strictly as the weight grows.
    const weighted = drawn.map((cell) => ({ ...cell, weight: attention[cell.t][cell.s] }));
    const byWeight = [...weighted].sort((a, b) => a.weight - b.weight);
    for (let i = 1; i < byWeight.length; i++) {
      if (byWeight[i].weight > byWeight[i - 1].weight)
        expect(byWeight[i].luminance).to.be.below(byWeight[i - 1].luminance);
      else expect(byWeight[i].luminance).to.equal(byWeight[i - 1].luminance);
    }
    // A repeated piece keeps its own column; labels show ▁ as a visible mark.
    const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels.filter((l) => l === '·la')).to.have.length(2);
    expect(labels).to.include.members(['·casa', '·the', '·house', '&lt;/s&gt;']);
    expect(svg).to.not.match(/<script/);
  });
});
