import type { Command } from '../command.js';
import { pauseCommand, renameCommand, restartCommand, topCommand, unpauseCommand, updateCommand } from './control.js';
import { cpCommand, diffCommand, exportCommand } from './filesystem.js';
import { statsCommand } from './stats.js';

/** update, pause/unpause, restart, rename, top, stats, cp, diff, export. */
export const controlCommands: Command[] = [
  restartCommand,
  pauseCommand,
  unpauseCommand,
  renameCommand,
  updateCommand,
  topCommand,
  statsCommand,
  cpCommand,
  diffCommand,
  exportCommand,
];
