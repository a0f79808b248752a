import { readFile } from 'node:fs/promises';
import { SentencePieceProcessor } from 'sentencepiece-js';
import { SubflowError } from '../errors.js';
import { BOS_ID, EOS_ID, PAD_ID, UNK_ID } from '../types.js';
import {
  MalformedModelError,
  parseSentencePieceModel,
  PieceType,
  type SentencePieceModelInfo,
} from './sentencepieceModel.js';

const RETRAIN_HINT =
  'retrain it with subflow (trainSentencePiece / the trainTokenizer stage), or with spm_train ' +
  '--pad_id=0 --bos_id=1 --eos_id=2 --unk_id=3';

/**
 * A SentencePiece tokenizer over a `.model` file, encoding in WebAssembly (sentencepiece-js).
 * Text is encoded as given, case included (sentencepiece-js's `cleanText()` lowercases, so it is
 * never used); the model's own normaliser (nmt_nfkc by default) still applies. Ids never include
 * BOS/EOS; the model and batching stages add them. Several tokenizers can be loaded at once: each
 * has its own wasm instance (about 1 MB plus the model).
 */
export class Tokenizer {
  /** Pieces in the vocabulary, special ones included. */
  readonly vocabSize: number;
  /** piece → id, built on first use of pieceToId. */
  private pieceIds?: Map<string, number>;

  private constructor(
    /** The `.model` file this tokenizer was loaded from. */
    readonly modelPath: string,
    private readonly model: SentencePieceModelInfo,
    private readonly processor: SentencePieceProcessor,
  ) {
    this.vocabSize = model.pieces.length;
  }

  /**
   * Loads a model trained with PAD 0, BOS 1, EOS 2, UNK 3. Throws FILE_NOT_FOUND for a missing file
   * and TOKENIZER_INVALID for anything that is not such a model, naming the file and what to do.
   */
  static async load(modelPath: string): Promise<Tokenizer> {
    const bytes = await readFile(modelPath).catch((cause: NodeJS.ErrnoException) => {
      if (cause.code === 'ENOENT') {
        throw new SubflowError('FILE_NOT_FOUND', `tokenizer model ${modelPath} does not exist`, {
          file: modelPath,
          cause,
          hint: 'train one first (trainSentencePiece / the trainTokenizer stage) or fix the path',
        });
      }
      throw new SubflowError(
        'FILE_UNREADABLE',
        `cannot read tokenizer model ${modelPath}: ${cause.message}`,
        {
          file: modelPath,
          cause,
        },
      );
    });
    const model = parseModel(modelPath, bytes);
    checkSpecialIds(modelPath, model);
    const processor = new SentencePieceProcessor();
    await processor.load(modelPath);
    const status = processor.processor?.status();
    const statusText = status?.ToString();
    status?.delete();
    if (statusText !== 'OK') {
      throw new SubflowError(
        'TOKENIZER_INVALID',
        `${modelPath}: SentencePiece cannot load it (${statusText})`,
        {
          file: modelPath,
          hint: RETRAIN_HINT,
        },
      );
    }
    return new Tokenizer(modelPath, model, processor);
  }

  /** Token ids of `text`, without BOS or EOS, [tokens]. */
  encode(text: string): Int32Array {
    return Int32Array.from(this.processor.encodeIds(text));
  }

  /** The pieces of `text` (`▁` marks a preceding space), e.g. `['▁Hola', ',', '▁mundo']`. */
  encodePieces(text: string): string[] {
    return this.processor.encodePieces(text);
  }

  /**
   * Text of a model output row: stops at the first EOS and skips PAD and BOS, so a padded or
   * BOS-prefixed row decodes cleanly. UNK becomes ` ⁇ `. An id outside the vocabulary is an error.
   */
  decode(ids: ArrayLike<number>): string {
    const kept: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === EOS_ID) break;
      if (id === PAD_ID || id === BOS_ID) continue;
      this.assertId(id);
      kept.push(id);
    }
    return kept.length === 0 ? '' : this.processor.decodeIds(kept);
  }

  /** The piece of an id, e.g. `<pad>` for 0 or `▁Hola`. */
  idToPiece(id: number): string {
    this.assertId(id);
    return this.model.pieces[id];
  }

  /** The id of a piece, or UNK (3) for a piece not in the vocabulary. */
  pieceToId(piece: string): number {
    this.pieceIds ??= new Map(this.model.pieces.map((text, id) => [text, id]));
    return this.pieceIds.get(piece) ?? UNK_ID;
  }

  private assertId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new SubflowError(
        'BAD_ARGUMENT',
        `token id ${id} is outside the vocabulary of ${this.modelPath} (0..${this.vocabSize - 1})`,
        { file: this.modelPath, hint: 'the ids come from a model trained with a different tokenizer' },
      );
    }
  }
}

function parseModel(modelPath: string, bytes: Uint8Array): SentencePieceModelInfo {
  try {
    return parseSentencePieceModel(bytes);
  } catch (cause) {
    if (!(cause instanceof MalformedModelError)) throw cause;
    throw new SubflowError(
      'TOKENIZER_INVALID',
      `${modelPath} is not a SentencePiece model (${cause.message})`,
      { file: modelPath, cause, hint: 'point to the .model file written by spm_train, not the .vocab' },
    );
  }
}

/** The model code hard-wires PAD 0, BOS 1, EOS 2, UNK 3: any other layout would train garbage. */
function checkSpecialIds(modelPath: string, model: SentencePieceModelInfo): void {
  const expected: [string, number, number, number][] = [
    ['pad', PAD_ID, model.padId, PieceType.CONTROL],
    ['bos', BOS_ID, model.bosId, PieceType.CONTROL],
    ['eos', EOS_ID, model.eosId, PieceType.CONTROL],
    ['unk', UNK_ID, model.unkId, PieceType.UNKNOWN],
  ];
  const wrong = expected.filter(
    ([, wanted, actual, type]) => actual !== wanted || model.types[wanted] !== type,
  );
  if (wrong.length > 0) {
    const found = `pad_id=${model.padId} bos_id=${model.bosId} eos_id=${model.eosId} unk_id=${model.unkId}`;
    throw new SubflowError(
      'TOKENIZER_INVALID',
      `${modelPath} has special ids ${found}, but subflow needs pad_id=0 bos_id=1 eos_id=2 unk_id=3`,
      { file: modelPath, hint: RETRAIN_HINT },
    );
  }
}
