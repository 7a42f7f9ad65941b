import type { Command } from '../command.js';
import { killCommand, psCommand, rmCommand, startCommand, stopCommand, waitCommand } from './containers.js';
import { loadCommand, saveCommand } from './archive.js';
import { buildCommand } from './build.js';
import { commitCommand } from './commit.js';
import { historyCommand } from './history.js';
import { imagesCommand, importCommand, rmiCommand, tagCommand } from './images.js';
import { imagePruneCommand } from './prune.js';
import { containerInspectCommand, imageInspectCommand, inspectAnyCommand } from './inspect.js';
import { loginCommand, logoutCommand, pullCommand, pushCommand } from './registry.js';
import { createCommand, runCommand } from './run.js';
import { controlCommands } from './control-commands.js';
import { infoCommand, versionCommand } from './system.js';
import { systemDfCommand } from './system-df.js';
import { systemPruneCommand } from './system-prune.js';
import { completionCommand } from './completion.js';
import { eventsCommand } from './events.js';
import { logsCommand } from './logs.js';
import { attachCommand } from './attach.js';
import { execCommand } from './exec.js';
import { networkCommands } from './network.js';
import { composeCommand } from './compose/index.js';
import { contextCommands } from './context.js';
import { multiDaemonCommands } from './multi.js';
import {
  volumeCreateCommand,
  volumeInspectCommand,
  volumeLsCommand,
  volumePruneCommand,
  volumeRmCommand,
} from './volumes.js';
import { pluginInspectCommand, pluginLsCommand } from './plugins.js';

/** Every command, in the order `tscr --help` lists them. */
export const commands: Command[] = [
  runCommand,
  createCommand,
  startCommand,
  stopCommand,
  killCommand,
  waitCommand,
  rmCommand,
  psCommand,
  logsCommand,
  execCommand,
  attachCommand,
  inspectAnyCommand,
  imagesCommand,
  pullCommand,
  pushCommand,
  loginCommand,
  logoutCommand,
  buildCommand,
  importCommand,
  rmiCommand,
  tagCommand,
  saveCommand,
  loadCommand,
  historyCommand,
  imagePruneCommand,
  commitCommand,
  versionCommand,
  infoCommand,
  eventsCommand,
  containerInspectCommand,
  imageInspectCommand,
  volumeCreateCommand,
  volumeLsCommand,
  volumeInspectCommand,
  volumeRmCommand,
  volumePruneCommand,
  pluginLsCommand,
  pluginInspectCommand,
  ...networkCommands,
  ...controlCommands,
  systemDfCommand,
  systemPruneCommand,
  completionCommand({ commands: () => commands, groups: () => Object.keys(groups) }),
  composeCommand,
  ...contextCommands,
  ...multiDaemonCommands,
];

/** Management command groups: `tscr container …`, `tscr image …`, `tscr system …`. */
export const groups: Record<string, string> = {
  container: 'Manage containers',
  image: 'Manage images',
  system: 'Manage tscr',
  volume: 'Manage volumes',
  network: 'Manage networks',
  plugin: 'Manage plugins',
  context: 'Manage contexts (named daemons)',
};

/** Every word path that selects a command, longest first. */
function paths(): [string[], Command][] {
  const all: [string[], Command][] = commands.flatMap((c) =>
    [c.path, ...(c.aliases ?? [])].map((p) => [p, c] as [string[], Command]),
  );
  return all.sort((a, b) => b[0].length - a[0].length);
}

/** The command `words` start with, and how many words named it; undefined when none does. */
export function findCommand(words: readonly string[]): { command: Command; used: string[] } | undefined {
  for (const [p, c] of paths()) {
    if (p.every((w, k) => words[k] === w)) return { command: c, used: p };
  }
  return undefined;
}

/** The subcommands of a group with their summaries (`tscr image` → `import`, `ls`, …). */
export function groupCommands(group: string): [string, Command][] {
  return paths()
    .filter(([p]) => p.length === 2 && p[0] === group)
    .map(([p, c]) => [p[1]!, c] as [string, Command])
    .sort(([a], [b]) => a.localeCompare(b));
}
