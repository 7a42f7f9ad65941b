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
import { groups } from './table.js';

export { groups } from './table.js';

/**
 * Every command, loaded, in the order `tscr --help` lists them (completion and tests; a run
 * starts from the lazy table in table.ts, which must name the same commands).
 */
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
