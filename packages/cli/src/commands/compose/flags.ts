/** The flags of `tscr compose` itself: apart from shared.ts, so the command table loads no compose code. */
import type { FlagSpec } from '../../args.js';

/** The compose flags given before the subcommand. */
export const composeFlags: FlagSpec[] = [
  { name: 'file', short: 'f', type: 'list', description: 'Compose configuration files' },
  { name: 'project-name', short: 'p', type: 'string', description: 'Project name' },
  { name: 'project-directory', type: 'string', description: 'Specify an alternate working directory' },
  { name: 'env-file', type: 'list', description: 'Specify an alternate environment file' },
  { name: 'profile', type: 'list', description: 'Specify a profile to enable' },
  { name: 'progress', type: 'string', description: 'Set type of progress output (auto, tty, plain, quiet)' },
  {
    name: 'ansi',
    type: 'string',
    description: 'Control when to print ANSI control characters ("never"|"always"|"auto")',
  },
];
