import { expect } from 'chai';
import { matchSourceQuotes } from '../../subtitles/quotes.js';

/** [source, translation, expected]: what the model wrote and what may stay of it. */
type Case = [string, string, string];

const check = (cases: Case[]) => {
  for (const [source, translation, expected] of cases) {
    expect(matchSourceQuotes(source, translation), `${source} → ${translation}`).to.equal(expected);
  }
};

describe('subtitles/quotes', () => {
  it('drops curly quotes the source does not have (the Bible model opens and closes speech)', () => {
    check([
      ['¿Vienes conmigo?', 'Will you go with me?”', 'Will you go with me?'],
      ['¿Vienes conmigo?', '“Do you see me with me?', 'Do you see me with me?'],
      ['Hola.', '“Hello,” he said.', 'Hello, he said.'],
      ['Hola.', '‘Hello.’', 'Hello.'],
      ['Hola.', '“ Hello ”', 'Hello'],
      ['Dijo que sí.', 'He said “ yes.', 'He said yes.'],
      ['Hola.', '”', ''],
    ]);
  });

  it('drops straight quotes, « », ‹ › and „ “ the source does not have', () => {
    check([
      ['Ven.', '"Come."', 'Come.'],
      ['Ven.', '"Come.', 'Come.'],
      ['Ven.', "'Come.'", 'Come.'],
      ['Ven.', '«Come.»', 'Come.'],
      ['Ven.', '‹Come.›', 'Come.'],
      ['Ven.', '„Come.“', 'Come.'],
      ['Ven.', '‚Come.‘', 'Come.'],
    ]);
  });

  it('keeps quotes of a kind the source has, when they pair up, whatever their style', () => {
    check([
      ['Dijo: «Ven».', 'He said, “Come.”', 'He said, “Come.”'],
      ['Dijo: "ven".', 'He said "come".', 'He said "come".'],
      ['Dijo: "ven".', 'He said «come».', 'He said «come».'],
      ['Er sagte: „Komm“.', 'He said: „Come“.', 'He said: „Come“.'],
      ['Dijo: ‹ven›.', 'He said ‘come’.', 'He said ‘come’.'],
      ["Dijo: 'ven'.", "He said 'come'.", "He said 'come'."],
      ['Dijo: «Ven».', '“He said, ‘Come.’”', '“He said, Come.”'],
    ]);
  });

  it('never leaves an unmatched one, even where the source has the kind', () => {
    check([
      ['Dijo: «Ven».', 'He said, “Come.', 'He said, Come.'],
      ['Dijo: «Ven».', 'He said, Come.”', 'He said, Come.'],
      ['Dijo: «Ven» y «vete».', '“Come” and go.”', '“Come” and go.'],
    ]);
  });

  it('keeps an unmatched quote where the source has one the same way (a quote running on)', () => {
    check([
      ['«Ven aquí.', '“Come here.', '“Come here.'],
      ['«Ven aquí.', 'Come here.”', 'Come here.'],
      ['y vete».', 'and go.”', 'and go.”'],
    ]);
  });

  it('drops ( ) and [ ] the source does not have, and unmatched ones', () => {
    check([
      [
        '(risas) No puede ser que hayas vuelto.',
        '(for you can’t be brought back.',
        'for you can’t be brought back.',
      ],
      ['(risas) No puede ser.', '(laughs) It cannot be.', '(laughs) It cannot be.'],
      ['No puede ser.', '(laughs) It cannot be.', 'laughs It cannot be.'],
      ['No.', '[No] way.', 'No way.'],
      ['[grita] ¡No!', '[shouts] No!]', '[shouts] No!'],
      ['(ríe) [grita]', '[shouts (laughs)]', '[shouts (laughs)]'],
    ]);
  });

  it('keeps apostrophes inside and at the end of words', () => {
    check([
      ['No sé.', 'I don’t know.', 'I don’t know.'],
      ['No puedo.', "I can't, it's late.", "I can't, it's late."],
      ['Los pies de los discípulos.', 'The disciples’ feet.', 'The disciples’ feet.'],
      ['No sé.', '‘I don’t know,’ he said.', 'I don’t know, he said.'],
      ['No sé.', "'I don't know,' he said.", "I don't know, he said."],
      ['Lo sé.', '’Tis known, rock ’n’ roll.', '’Tis known, rock ’n’ roll.'],
    ]);
  });

  it('returns the translation unchanged when there is nothing to drop', () => {
    for (const text of ['Who has walk?', 'But I am open.', '- Hello. - Bye.', '¿Qué? «Nada».', '']) {
      expect(matchSourceQuotes('¿Qué? «Nada».', text)).to.equal(text);
    }
  });
});
