import type { Command } from 'commander';
import { readLines } from '../../text/lines.js';
import { Tokenizer } from '../../text/tokenizer.js';
import { SubflowError } from '../../errors.js';

interface TokenizeOptions {
  model: string;
  ids?: boolean;
  decode?: boolean;
}

/** `subflow tokenize --model M [FILE…]`: SentencePiece pieces or ids per line, or the reverse with --decode. */
export function registerTokenizeCommand(program: Command): void {
  program
    .command('tokenize')
    .description(
      'encode lines with a SentencePiece model (stdin or files → stdout), or decode ids with --decode',
    )
    .requiredOption('-m, --model <file>', 'SentencePiece .model file (e.g. runs/NAME/tokenizer/source.model)')
    .option('--ids', 'print ids instead of pieces')
    .option('--decode', 'read space-separated ids and print text')
    .argument('[files...]', 'input files (default: stdin)')
    .action(async (files: string[], options: TokenizeOptions) => {
      const tokenizer = await Tokenizer.load(options.model);
      const inputs = files.length ? files : ['-'];
      for (const file of inputs) {
        const lines = readLines(file === '-' ? process.stdin : file, {
          onInvalidUtf8: (w) => process.stderr.write(`tokenize: ${w.file}:${w.line}: ${w.message}\n`),
        });
        for await (const line of lines) {
          process.stdout.write(`${transform(tokenizer, line.text, options, file, line.number)}\n`);
        }
      }
    });
}

function transform(
  tokenizer: Tokenizer,
  line: string,
  options: TokenizeOptions,
  file: string,
  number: number,
): string {
  if (options.decode) {
    const ids = line.trim() === '' ? [] : line.trim().split(/\s+/).map(Number);
    if (ids.some((id) => !Number.isInteger(id) || id < 0 || id >= tokenizer.vocabSize)) {
      throw new SubflowError(
        'BAD_ARGUMENT',
        `${file}:${number}: expected ids between 0 and ${tokenizer.vocabSize - 1}`,
        {
          file,
          line: number,
        },
      );
    }
    return tokenizer.decode(ids);
  }
  return options.ids ? Array.from(tokenizer.encode(line)).join(' ') : tokenizer.encodePieces(line).join(' ');
}
