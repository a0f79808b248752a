/**
 * `npm run docs:cli`: writes docs/cli.md, every command's arguments and options with their defaults and
 * choices, generated from the commander definitions so the reference cannot drift from `--help`
 * (test/docs.spec.ts compares the file with a fresh rendering).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { packageRoot } from '../packageInfo.js';
import { buildProgram } from '../pipeline/program.js';

const escape = (text: string): string =>
  text.replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function optionRow(option: Option): string {
  const notes: string[] = [];
  if (option.argChoices) notes.push(`one of ${option.argChoices.map((c) => `\`${c}\``).join(', ')}`);
  if (option.defaultValue !== undefined && option.defaultValue !== false) {
    notes.push(`default \`${String(option.defaultValue)}\``);
  }
  const description = [option.description, ...notes].filter(Boolean).join('; ');
  return `| \`${option.flags.replaceAll('|', '\\|')}\` | ${escape(description)} |`;
}

function commandSection(command: Command): string {
  const args = command.registeredArguments
    .map((argument) => {
      const name = `${argument.name()}${argument.variadic ? '…' : ''}`;
      return argument.required ? `<${name}>` : `[${name}]`;
    })
    .join(' ');
  const lines = [
    `## subflow ${command.name()}${args ? ` ${args}` : ''}`,
    '',
    `${command.description()}.`,
    '',
  ];
  for (const argument of command.registeredArguments) {
    lines.push(`- \`${argument.name()}\`: ${argument.description}`);
  }
  if (command.registeredArguments.length) lines.push('');
  const options = command.options.filter((option) => !option.hidden);
  if (options.length) {
    lines.push('| option | meaning |', '|---|---|', ...options.map(optionRow), '');
  }
  return lines.join('\n');
}

/** docs/cli.md as the current commander definitions describe it. */
export function cliReference(): string {
  const program = buildProgram();
  return [
    '# Command-line reference',
    '',
    '<!-- Generated from the commander definitions by `npm run docs:cli`; do not edit by hand. -->',
    '',
    'Every command also takes `--debug` (print stack traces of errors), `-h, --help` and `-V, --version`.',
    '',
    ...program.commands.map(commandSection),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(join(packageRoot(), 'docs', 'cli.md'), cliReference());
}
