/**
 * Reads the few parts of a SentencePiece `.model` file (a `sentencepiece.ModelProto` protobuf) that
 * subflow checks and needs: the piece table and the special ids the model was trained with.
 * sentencepiece-js does not expose them (no vocabulary size, no id → piece), and checking the file
 * ourselves gives a clear error for a foreign or damaged model instead of a silent empty encoding.
 */

/** `SentencePiece.Type` from sentencepiece_model.proto. */
export const PieceType = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;

/** What {@link parseSentencePieceModel} reads from a model file. */
export interface SentencePieceModelInfo {
  /** Piece text by id, [vocabSize]. */
  pieces: string[];
  /** Piece type by id ({@link PieceType}), [vocabSize]. */
  types: number[];
  /** Trainer spec ids; -1 means the piece is disabled. */
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  /** `unigram`, `bpe`, `word` or `char`. */
  modelType: string;
}

const MODEL_TYPES: Record<number, string> = { 1: 'unigram', 2: 'bpe', 3: 'word', 4: 'char' };

/** Field numbers of the protobuf messages read here. */
const MODEL_PIECES = 1;
const MODEL_TRAINER_SPEC = 2;
const PIECE_TEXT = 1;
const PIECE_TYPE = 3;
const TRAINER_MODEL_TYPE = 3;
const TRAINER_UNK_ID = 40;
const TRAINER_BOS_ID = 41;
const TRAINER_EOS_ID = 42;
const TRAINER_PAD_ID = 43;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** Thrown for bytes that are not a well-formed ModelProto. */
export class MalformedModelError extends Error {}

/** A minimal protobuf reader over one message's bytes. */
class ProtoReader {
  private position = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.position >= this.bytes.length;
  }

  /** A varint as int32 (protobuf `int32`: negative values are 10-byte varints; the low 32 bits count). */
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.position >= this.bytes.length) throw new MalformedModelError('truncated varint');
      const byte = this.bytes[this.position++];
      if (shift < 32) result |= (byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) === 0) return result | 0;
      if (shift >= 70) throw new MalformedModelError('varint too long');
    }
  }

  /** Field number and wire type of the next field. */
  tag(): { field: number; wire: number } {
    const tag = this.varint() >>> 0;
    return { field: tag >>> 3, wire: tag & 7 };
  }

  bytesField(): Uint8Array {
    const length = this.varint();
    if (length < 0 || this.position + length > this.bytes.length) {
      throw new MalformedModelError('field runs past the end');
    }
    const slice = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return slice;
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_BYTES) this.bytesField();
    else if (wire === WIRE_FIXED64) this.advance(8);
    else if (wire === WIRE_FIXED32) this.advance(4);
    else throw new MalformedModelError(`unsupported wire type ${wire}`);
  }

  private advance(count: number): void {
    if (this.position + count > this.bytes.length) throw new MalformedModelError('field runs past the end');
    this.position += count;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses the piece table and special ids of a SentencePiece model; throws MalformedModelError. */
export function parseSentencePieceModel(bytes: Uint8Array): SentencePieceModelInfo {
  const info: SentencePieceModelInfo = {
    pieces: [],
    types: [],
    unkId: 0,
    bosId: 1,
    eosId: 2,
    padId: -1,
    modelType: 'unigram',
  };
  const reader = new ProtoReader(bytes);
  while (!reader.done) {
    const { field, wire } = reader.tag();
    if (field === MODEL_PIECES && wire === WIRE_BYTES) readPiece(reader.bytesField(), info);
    else if (field === MODEL_TRAINER_SPEC && wire === WIRE_BYTES) readTrainerSpec(reader.bytesField(), info);
    else reader.skip(wire);
  }
  if (info.pieces.length === 0) throw new MalformedModelError('no pieces');
  return info;
}

function readPiece(bytes: Uint8Array, info: SentencePieceModelInfo): void {
  const reader = new ProtoReader(bytes);
  let text = '';
  let type: number = PieceType.NORMAL;
  while (!reader.done) {
    const { field, wire } = reader.tag();
    if (field === PIECE_TEXT && wire === WIRE_BYTES) {
      try {
        text = utf8.decode(reader.bytesField());
      } catch {
        throw new MalformedModelError('a piece is not valid UTF-8');
      }
    } else if (field === PIECE_TYPE && wire === WIRE_VARINT) type = reader.varint();
    else reader.skip(wire);
  }
  info.pieces.push(text);
  info.types.push(type);
}

function readTrainerSpec(bytes: Uint8Array, info: SentencePieceModelInfo): void {
  const reader = new ProtoReader(bytes);
  while (!reader.done) {
    const { field, wire } = reader.tag();
    if (wire !== WIRE_VARINT) {
      reader.skip(wire);
      continue;
    }
    const value = reader.varint();
    if (field === TRAINER_MODEL_TYPE) info.modelType = MODEL_TYPES[value] ?? `unknown(${value})`;
    else if (field === TRAINER_UNK_ID) info.unkId = value;
    else if (field === TRAINER_BOS_ID) info.bosId = value;
    else if (field === TRAINER_EOS_ID) info.eosId = value;
    else if (field === TRAINER_PAD_ID) info.padId = value;
  }
}
