/**
 * The command table as `tscr` starts with it: each command's words, aliases and
 * one-line summary, and a loader for its module. A run evaluates only the module
 * of the command it executes (esbuild wraps each module reached through
 * `import()` in a lazy init); `tscr --help` and group help need only this table.
 * `index.ts` keeps the loaded commands in help order; a unit test checks both agree.
 */
import type { Command } from '../command.js';

/** A command before its module is loaded. */
export interface CommandEntry {
  /** Words that select it (as {@link Command.path}). */
  path: string[];
  aliases?: string[][];
  /** One line for `--help` (as {@link Command.summary}). */
  summary: string;
  /** Loads its module and gives the command. */
  load(): Promise<Command>;
}

/** The command with words `path` out of a module's list (`contextCommands`). */
function pick(list: readonly Command[], path: string): Command {
  const c = list.find((x) => x.path.join(' ') === path);
  if (!c) throw new Error(`command table: no "${path}" in its module`);
  return c;
}

function entry(path: string[], summary: string, load: () => Promise<Command>, aliases?: string[][]): CommandEntry {
  return aliases ? { path, aliases, summary, load } : { path, summary, load };
}

/** Every command, in the order `tscr --help` lists them. */
export const commandTable: readonly CommandEntry[] = [
  entry(['run'], 'Create and run a new container from an image', async () => (await import('./run.js')).runCommand, [
    ['container', 'run'],
  ]),
  entry(['create'], 'Create a new container', async () => (await import('./run.js')).createCommand, [
    ['container', 'create'],
  ]),
  entry(['start'], 'Start one or more stopped containers', async () => (await import('./containers.js')).startCommand, [
    ['container', 'start'],
  ]),
  entry(['stop'], 'Stop one or more running containers', async () => (await import('./containers.js')).stopCommand, [
    ['container', 'stop'],
  ]),
  entry(['kill'], 'Kill one or more running containers', async () => (await import('./containers.js')).killCommand, [
    ['container', 'kill'],
  ]),
  entry(
    ['wait'],
    'Block until one or more containers stop, then print their exit codes',
    async () => (await import('./containers.js')).waitCommand,
    [['container', 'wait']],
  ),
  entry(['rm'], 'Remove one or more containers', async () => (await import('./containers.js')).rmCommand, [
    ['container', 'rm'],
    ['container', 'remove'],
  ]),
  entry(['ps'], 'List containers', async () => (await import('./containers.js')).psCommand, [
    ['container', 'ls'],
    ['container', 'list'],
    ['container', 'ps'],
  ]),
  entry(['logs'], 'Fetch the logs of a container', async () => (await import('./logs.js')).logsCommand, [
    ['container', 'logs'],
  ]),
  entry(['exec'], 'Execute a command in a running container', async () => (await import('./exec.js')).execCommand, [
    ['container', 'exec'],
  ]),
  entry(
    ['attach'],
    'Attach local standard input, output, and error streams to a running container',
    async () => (await import('./attach.js')).attachCommand,
    [['container', 'attach']],
  ),
  entry(
    ['inspect'],
    'Return low-level information on containers or images',
    async () => (await import('./inspect.js')).inspectAnyCommand,
  ),
  entry(['images'], 'List images', async () => (await import('./images.js')).imagesCommand, [
    ['image', 'ls'],
    ['image', 'list'],
  ]),
  entry(['pull'], 'Download an image from a registry', async () => (await import('./registry.js')).pullCommand, [
    ['image', 'pull'],
  ]),
  entry(['push'], 'Upload an image to a registry', async () => (await import('./registry.js')).pushCommand, [
    ['image', 'push'],
  ]),
  entry(['login'], 'Log in to a registry', async () => (await import('./registry.js')).loginCommand),
  entry(['logout'], 'Log out from a registry', async () => (await import('./registry.js')).logoutCommand),
  entry(['image', 'build'], 'Build an image from a Dockerfile', async () => (await import('./build.js')).buildCommand, [
    ['build'],
  ]),
  entry(
    ['image', 'import'],
    'Import the contents from a tarball to create a filesystem image',
    async () => (await import('./images.js')).importCommand,
    [['import']],
  ),
  entry(['rmi'], 'Remove one or more images', async () => (await import('./images.js')).rmiCommand, [
    ['image', 'rm'],
    ['image', 'remove'],
  ]),
  entry(
    ['tag'],
    'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    async () => (await import('./images.js')).tagCommand,
    [['image', 'tag']],
  ),
  entry(
    ['save'],
    'Save one or more images to a tar archive (streamed to STDOUT by default)',
    async () => (await import('./archive.js')).saveCommand,
    [['image', 'save']],
  ),
  entry(['load'], 'Load an image from a tar archive or STDIN', async () => (await import('./archive.js')).loadCommand, [
    ['image', 'load'],
  ]),
  entry(['history'], 'Show the history of an image', async () => (await import('./history.js')).historyCommand, [
    ['image', 'history'],
  ]),
  entry(['image', 'prune'], 'Remove unused images', async () => (await import('./prune.js')).imagePruneCommand),
  entry(
    ['commit'],
    "Create a new image from a container's changes",
    async () => (await import('./commit.js')).commitCommand,
    [['container', 'commit']],
  ),
  entry(['version'], 'Show the tscr version information', async () => (await import('./system.js')).versionCommand),
  entry(['info'], 'Display system-wide information', async () => (await import('./system.js')).infoCommand, [
    ['system', 'info'],
  ]),
  entry(['events'], 'Get real time events from the server', async () => (await import('./events.js')).eventsCommand, [
    ['system', 'events'],
  ]),
  entry(
    ['container', 'inspect'],
    'Return low-level information on containers',
    async () => (await import('./inspect.js')).containerInspectCommand,
  ),
  entry(
    ['image', 'inspect'],
    'Return low-level information on images',
    async () => (await import('./inspect.js')).imageInspectCommand,
  ),
  entry(['volume', 'create'], 'Create a volume', async () => (await import('./volumes.js')).volumeCreateCommand),
  entry(['volume', 'ls'], 'List volumes', async () => (await import('./volumes.js')).volumeLsCommand, [
    ['volume', 'list'],
  ]),
  entry(
    ['volume', 'inspect'],
    'Display detailed information on one or more volumes',
    async () => (await import('./volumes.js')).volumeInspectCommand,
  ),
  entry(['volume', 'rm'], 'Remove one or more volumes', async () => (await import('./volumes.js')).volumeRmCommand, [
    ['volume', 'remove'],
  ]),
  entry(
    ['volume', 'prune'],
    'Remove unused local volumes',
    async () => (await import('./volumes.js')).volumePruneCommand,
  ),
  entry(
    ['plugin', 'ls'],
    'List the plugins the daemon finds (sockets and spec files), what they implement, whether they answer',
    async () => (await import('./plugins.js')).pluginLsCommand,
    [['plugin', 'list']],
  ),
  entry(
    ['plugin', 'inspect'],
    'Display detailed information on one or more plugins',
    async () => (await import('./plugins.js')).pluginInspectCommand,
  ),
  entry(['network', 'create'], 'Create a network', async () => (await import('./network.js')).networkCreateCommand),
  entry(['network', 'ls'], 'List networks', async () => (await import('./network.js')).networkLsCommand, [
    ['network', 'list'],
  ]),
  entry(
    ['network', 'inspect'],
    'Display detailed information on one or more networks',
    async () => (await import('./network.js')).networkInspectCommand,
  ),
  entry(['network', 'rm'], 'Remove one or more networks', async () => (await import('./network.js')).networkRmCommand, [
    ['network', 'remove'],
  ]),
  entry(
    ['network', 'prune'],
    'Remove all unused networks',
    async () => (await import('./network.js')).networkPruneCommand,
  ),
  entry(
    ['network', 'connect'],
    'Connect a container to a network',
    async () => (await import('./network.js')).networkConnectCommand,
  ),
  entry(
    ['network', 'disconnect'],
    'Disconnect a container from a network',
    async () => (await import('./network.js')).networkDisconnectCommand,
  ),
  entry(
    ['port'],
    'List port mappings or a specific mapping for the container',
    async () => (await import('./network.js')).portCommand,
    [['container', 'port']],
  ),
  entry(['restart'], 'Restart one or more containers', async () => (await import('./control.js')).restartCommand, [
    ['container', 'restart'],
  ]),
  entry(
    ['pause'],
    'Pause all processes within one or more containers',
    async () => (await import('./control.js')).pauseCommand,
    [['container', 'pause']],
  ),
  entry(
    ['unpause'],
    'Unpause all processes within one or more containers',
    async () => (await import('./control.js')).unpauseCommand,
    [['container', 'unpause']],
  ),
  entry(['rename'], 'Rename a container', async () => (await import('./control.js')).renameCommand, [
    ['container', 'rename'],
  ]),
  entry(
    ['update'],
    'Update configuration of one or more containers',
    async () => (await import('./control.js')).updateCommand,
    [['container', 'update']],
  ),
  entry(
    ['top'],
    'Display the running processes of a container',
    async () => (await import('./control.js')).topCommand,
    [['container', 'top']],
  ),
  entry(
    ['stats'],
    'Display a live stream of container(s) resource usage statistics',
    async () => (await import('./stats.js')).statsCommand,
    [['container', 'stats']],
  ),
  entry(
    ['cp'],
    'Copy files/folders between a container and the local filesystem',
    async () => (await import('./filesystem.js')).cpCommand,
    [['container', 'cp']],
  ),
  entry(
    ['diff'],
    "Inspect changes to files or directories on a container's filesystem",
    async () => (await import('./filesystem.js')).diffCommand,
    [['container', 'diff']],
  ),
  entry(
    ['export'],
    "Export a container's filesystem as a tar archive",
    async () => (await import('./filesystem.js')).exportCommand,
    [['container', 'export']],
  ),
  entry(['system', 'df'], 'Show tscr disk usage', async () => (await import('./system-df.js')).systemDfCommand),
  entry(['system', 'prune'], 'Remove unused data', async () => (await import('./system-prune.js')).systemPruneCommand),
  entry(['completion'], 'Generate the shell completion script (bash)', async () =>
    pick((await import('./index.js')).commands, 'completion'),
  ),
  entry(
    ['compose'],
    'Define and run multi-container applications',
    async () => (await import('./compose/index.js')).composeCommand,
  ),
  entry(['context', 'create'], 'Create a context (a daemon address and its TLS material)', async () =>
    pick((await import('./context.js')).contextCommands, 'context create'),
  ),
  entry(
    ['context', 'ls'],
    'List contexts',
    async () => pick((await import('./context.js')).contextCommands, 'context ls'),
    [['context', 'list']],
  ),
  entry(['context', 'use'], 'Set the current context', async () =>
    pick((await import('./context.js')).contextCommands, 'context use'),
  ),
  entry(['context', 'show'], 'Print the name of the current context', async () =>
    pick((await import('./context.js')).contextCommands, 'context show'),
  ),
  entry(
    ['context', 'inspect'],
    'Show contexts as JSON (the current one without arguments); key material is not printed',
    async () => pick((await import('./context.js')).contextCommands, 'context inspect'),
  ),
  entry(
    ['context', 'rm'],
    'Remove contexts',
    async () => pick((await import('./context.js')).contextCommands, 'context rm'),
    [['context', 'remove']],
  ),
  entry(['context', 'export'], 'Export a context (with its keys) to a file (mode 0600) or stdout', async () =>
    pick((await import('./context.js')).contextCommands, 'context export'),
  ),
  entry(['context', 'import'], 'Import a context exported with tscr context export', async () =>
    pick((await import('./context.js')).contextCommands, 'context import'),
  ),
  entry(
    ['system', 'certs'],
    'Write a CA, a daemon certificate and client certificates for mutual TLS (runs openssl)',
    async () => pick((await import('./multi.js')).multiDaemonCommands, 'system certs'),
  ),
  entry(
    ['image', 'transfer'],
    'Send images from this daemon straight to the daemon of a context (only the blobs it lacks travel)',
    async () => pick((await import('./multi.js')).multiDaemonCommands, 'image transfer'),
  ),
  entry(
    ['container', 'move'],
    'Move a container to the daemon of a context, cold: stopped, its writable layer, image and volumes sent, recreated and started there, then removed here (no live migration: that needs CRIU)',
    async () => pick((await import('./multi.js')).multiDaemonCommands, 'container move'),
  ),
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
function paths(): [string[], CommandEntry][] {
  const all: [string[], CommandEntry][] = commandTable.flatMap((c) =>
    [c.path, ...(c.aliases ?? [])].map((p) => [p, c] as [string[], CommandEntry]),
  );
  return all.sort((a, b) => b[0].length - a[0].length);
}

/** The command `words` start with, and how many words named it; undefined when none does. */
export function findCommand(words: readonly string[]): { entry: CommandEntry; used: string[] } | undefined {
  for (const [p, c] of paths()) {
    if (p.every((w, k) => words[k] === w)) return { entry: c, used: p };
  }
  return undefined;
}

/** The subcommands of a group with their summaries (`tscr image` → `import`, `ls`, …). */
export function groupCommands(group: string): [string, CommandEntry][] {
  return paths()
    .filter(([p]) => p.length === 2 && p[0] === group)
    .map(([p, c]) => [p[1]!, c] as [string, CommandEntry])
    .sort(([a], [b]) => a.localeCompare(b));
}
