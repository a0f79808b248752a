import type { z } from 'zod';
import { SubflowError } from '../errors.js';

/** Renders a key path the way a user writes it in YAML: `stages[2].clean.maxLength`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(top level)';
}

/** Turns zod issues into one SubflowError that names every bad key and what was expected. */
export function configError(
  file: string,
  issues: readonly z.core.$ZodIssue[],
  prefix: PropertyKey[] = [],
): SubflowError {
  const lines = issues.map((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${formatKeyPath([...path, key])}: unknown key`).join('\n  ');
    }
    return `${formatKeyPath(path)}: ${describeIssue(issue)}`;
  });
  const first = issues[0];
  const firstPath = first ? [...prefix, ...first.path] : [];
  if (first?.code === 'unrecognized_keys') firstPath.push(first.keys[0]);
  return new SubflowError('CONFIG_INVALID', `${file}: invalid config\n  ${lines.join('\n  ')}`, {
    file,
    key: first ? formatKeyPath(firstPath) : undefined,
    hint: 'every key is documented in the configs under config/ (see the comments there)',
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // zod leaves `input` out of issues unless asked, so a missing key shows only in the message.
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    return `missing required key (expected ${issue.expected})`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}
