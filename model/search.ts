import { beamSearch } from './beamSearch.js';
import { greedySearch } from './greedy.js';
import {
  SEARCH_DEFAULTS,
  type DecodingModel,
  type Hypothesis,
  type SearchOptions,
} from './searchInternals.js';

export { beamSearch } from './beamSearch.js';
export { greedySearch } from './greedy.js';
export { SEARCH_DEFAULTS } from './searchInternals.js';
export type { DecodingModel, Hypothesis, SearchOptions } from './searchInternals.js';

/**
 * Decodes many sentences at once: greedy for beam 1 (the fast path, same result as a beam of 1),
 * batched beam search otherwise.
 * @param sources token ids of each sentence, ending with EOS, [batch][srcLen]
 * @returns per sentence, up to nBest hypotheses sorted by score, best first
 */
export function search<E, D>(
  model: DecodingModel<E, D>,
  sources: readonly Int32Array[],
  options: SearchOptions = {},
): Hypothesis[][] {
  return (options.beam ?? SEARCH_DEFAULTS.beam) === 1
    ? greedySearch(model, sources, options)
    : beamSearch(model, sources, options);
}
