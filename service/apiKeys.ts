import { readFileSync } from 'node:fs';
import { SubflowError } from '../errors.js';

/**
 * Reads an API keys file: one key per line, optionally followed by its requests per minute
 * (`KEY 120`); blank lines and `#` comments are skipped. Returns key → requests per minute.
 * @throws SubflowError FILE_NOT_FOUND, BAD_ARGUMENT (a malformed line, named by number)
 */
export function readApiKeys(path: string, defaultPerMinute: number): Map<string, number> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new SubflowError('FILE_NOT_FOUND', `cannot read the API keys file ${path}`, {
      file: path,
      cause,
      hint: 'give --api-keys a file with one key per line',
    });
  }
  const keys = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const [key, perMinute, ...rest] = line.split(/\s+/);
    const rpm = perMinute === undefined ? defaultPerMinute : Number(perMinute);
    if (rest.length > 0 || !Number.isInteger(rpm) || rpm < 1 || key.length < 8) {
      throw new SubflowError('BAD_ARGUMENT', `${path}:${index + 1}: expected "KEY [REQUESTS_PER_MINUTE]"`, {
        file: path,
        line: index + 1,
        hint: 'keys have at least 8 characters; the optional rate is a positive integer',
      });
    }
    keys.set(key, rpm);
  });
  if (keys.size === 0) {
    throw new SubflowError('BAD_ARGUMENT', `the API keys file ${path} holds no key`, {
      file: path,
      hint: 'add one key per line, or leave out --api-keys to serve without keys',
    });
  }
  return keys;
}
