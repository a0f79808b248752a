import { expect } from 'chai';
import { attentionHeatmapSvg } from '../../report/attentionHeatmap.js';

/** The cells of a Vega SVG heatmap: position keys and weight from each rect's aria-label, and its fill. */
function cells(svg: string): Array<{ s: number; t: number; weight: number; luminance: number }> {
  const marks = [
    ...svg.matchAll(
      /<path aria-label="([^"]*)"[^>]*aria-roledescription="rect mark"[^>]*fill="rgb\((\d+), (\d+), (\d+)\)"/g,
    ),
  ];
  return marks.map(([, label, r, g, b]) => {
    const field = (name: string) => Number(new RegExp(`${name}: ([\\d.]+)`).exec(label)![1]);
    return {
      s: field('source pieces'),
      t: field('output pieces'),
      weight: field('attention'),
      luminance: 0.2126 * Number(r) + 0.7152 * Number(g) + 0.0722 * Number(b),
    };
  });
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
    for (const cell of drawn) expect(cell.weight).to.equal(attention[cell.t][cell.s]);
    // Sorted by weight, the cells get darker (lower luminance) strictly as the weight grows.
    const byWeight = [...drawn].sort((a, b) => a.weight - b.weight);
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
