import { flagHelp } from './args.js';
import type { Command } from './command.js';
import { commandTable, groupCommands, groups } from './commands/table.js';
import { globalFlags } from './global-flags.js';

export { globalFlags, helpFlag } from './global-flags.js';

function listing(rows: [string, string][]): string[] {
  const width = Math.max(0, ...rows.map(([n]) => n.length));
  return rows.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`);
}

/** `tscr --help`. */
export function rootHelp(): string {
  // Every one-word command, its own path or an alias (`build` is `image build`), once.
  const top = [
    ...new Map(
      commandTable.flatMap((c) =>
        [c.path, ...(c.aliases ?? [])].filter((p) => p.length === 1).map((p) => [p[0]!, c] as const),
      ),
    ),
  ];
  return [
    'Usage:  tscr [OPTIONS] COMMAND',
    '',
    'A container engine in TypeScript: the client of tscrd',
    '',
    'Commands:',
    ...listing(top.map(([name, c]) => [name, c.summary])),
    '',
    'Management Commands:',
    ...listing(Object.entries(groups)),
    '',
    'Global Options:',
    ...flagHelp(globalFlags),
    '',
    "Run 'tscr COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

/** `tscr image` (a group without a subcommand). */
export function groupHelp(group: string): string {
  return [
    `Usage:  tscr ${group} COMMAND`,
    '',
    groups[group] ?? '',
    '',
    'Commands:',
    ...listing(groupCommands(group).map(([n, c]) => [n, c.summary])),
    '',
    `Run 'tscr ${group} COMMAND --help' for more information on a command.`,
    '',
  ].join('\n');
}

/** `tscr CMD --help`, for the words the user typed (`used`). */
export function commandHelp(c: Command, used: string[]): string {
  const aliases = [c.path, ...(c.aliases ?? [])].filter((p) => p.join(' ') !== used.join(' '));
  return [
    `Usage:  tscr ${used.join(' ')}${c.usage ? ` ${c.usage}` : ''}`,
    '',
    c.summary,
    ...(aliases.length > 0 ? ['', 'Aliases:', `  ${aliases.map((p) => `tscr ${p.join(' ')}`).join(', ')}`] : []),
    ...(c.flags.length > 0 ? ['', 'Options:', ...flagHelp(c.flags)] : []),
    '',
  ].join('\n');
}
