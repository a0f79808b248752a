/**
 * Types for sentencepiece-js 1.1 (it ships none). Besides its documented methods, subflow reads two
 * internals: `processor` (the embind SentencePieceProcessor, whose `status()` says whether the model
 * loaded — `load()` itself discards that status) and `sentencepiece` (the module's own wasm instance,
 * one per processor).
 */
declare module 'sentencepiece-js' {
  interface EmbindObject {
    delete(): void;
  }
  interface EmbindStatus extends EmbindObject {
    ToString(): string;
  }
  interface EmbindProcessor {
    status(): EmbindStatus;
  }
  export class SentencePieceProcessor {
    /** Reads the model file at `path` into a fresh wasm instance. */
    load(path: string): Promise<void>;
    encodeIds(text: string): number[];
    encodePieces(text: string): string[];
    decodeIds(ids: number[]): string;
    processor?: EmbindProcessor;
  }
  /** Lowercases as well as cleaning whitespace: not for case-preserving translation. */
  export function cleanText(text: string): string;
}
