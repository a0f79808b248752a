import { expect } from 'chai';
import {
  EOS_PIECE,
  formatPharaoh,
  hardAlignment,
  pieceWordIndices,
  piecesToWords,
  wordAttention,
} from '../../text/wordAlignment.js';

describe('word alignment from piece attention', () => {
  const source = ['▁Hola', ',', '▁mun', 'do', '▁azul', EOS_PIECE];
  const target = ['▁Hello', ',', '▁blue', '▁wor', 'ld', EOS_PIECE];

  it('groups pieces into words at ▁, leaving </s> out', () => {
    expect(pieceWordIndices(source)).to.deep.equal([0, 0, 1, 1, 2, -1]);
    expect(pieceWordIndices(['¿', 'Qué', '▁pasa'])).to.deep.equal([0, 0, 1]);
    expect(piecesToWords(source)).to.deep.equal(['Hola,', 'mundo', 'azul']);
  });

  it('sums source pieces and averages target pieces into word attention, rows normalised', () => {
    // rows: target pieces, columns: source pieces (the last one is </s>)
    const attention = [
      [0.6, 0.2, 0.1, 0, 0, 0.1], // ▁Hello → Hola,
      [0.5, 0.5, 0, 0, 0, 0], //     ,
      [0, 0, 0, 0, 1, 0], //         ▁blue → azul
      [0, 0, 0.4, 0.4, 0.2, 0], //   ▁wor  → mundo
      [0, 0, 0.8, 0, 0, 0.2], //     ld
      [0, 0, 0, 0, 0, 1], //         </s>: no word, no row
    ];
    const words = wordAttention(attention, source, target);
    expect(words.sourceWords).to.deep.equal(['Hola,', 'mundo', 'azul']);
    expect(words.targetWords).to.deep.equal(['Hello,', 'blue', 'world']);
    const [hello, blue, world] = words.weights;
    expect(hello[0]).to.be.closeTo((0.8 + 1) / 2 / ((0.9 + 1) / 2), 1e-9);
    expect(blue).to.deep.equal([0, 0, 1]);
    expect(world[1]).to.be.closeTo(0.8 / 0.9, 1e-9);
    for (const row of words.weights) expect(row.reduce((s, w) => s + w, 0)).to.be.closeTo(1, 1e-9);
    expect(formatPharaoh(hardAlignment(words))).to.equal('0-0 2-1 1-2');
  });

  it('gives a row with no weight on any source word a uniform row', () => {
    const words = wordAttention([[0, 0, 1]], ['▁a', '▁b', EOS_PIECE], ['▁x', EOS_PIECE]);
    expect(words.weights).to.deep.equal([[0.5, 0.5]]);
  });
});
