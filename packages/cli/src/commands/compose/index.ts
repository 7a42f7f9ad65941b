/**
 * `tscr compose [-f FILE]… [-p NAME] SUBCOMMAND …`: multi-container
 * applications from compose files, a thin client of `@tscr/compose`.
 * The subcommands (and `@tscr/compose` with them) load when it runs.
 */
import type { Command } from '../../command.js';
import { composeFlags } from './flags.js';

/** `tscr compose`. */
export const composeCommand: Command = {
  path: ['compose'],
  usage: '[OPTIONS] COMMAND',
  summary: 'Define and run multi-container applications',
  flags: composeFlags,
  stopAtPositional: true,
  async run(ctx, globals, args) {
    return (await import('./run.js')).runCompose(ctx, globals, args);
  },
};
