import { SubflowError } from '../../errors.js';

/** Awaits a promise that must reject with a SubflowError and returns that error (other errors rethrown). */
export async function rejection(promise: Promise<unknown>): Promise<SubflowError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SubflowError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
