/** `tscr compose down`, lifecycle commands, `rm`, `build`, `pull`, `push`, `wait`. */
import { invalidArgument } from '@tscr/api';
import { bool, int, str, usageError } from '../../args.js';
import { write } from '../../command.js';
import type { Sub } from './shared.js';

export const downSub: Sub = {
  name: 'down',
  usage: '[OPTIONS] [SERVICES]',
  summary: 'Stop and remove containers, networks',
  flags: [
    {
      name: 'volumes',
      short: 'v',
      type: 'bool',
      description:
        'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers',
    },
    {
      name: 'rmi',
      type: 'string',
      description:
        'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")',
    },
    {
      name: 'remove-orphans',
      type: 'bool',
      description: 'Remove containers for services not defined in the Compose file',
    },
    { name: 'timeout', short: 't', type: 'int', description: 'Specify a shutdown timeout in seconds' },
  ],
  async run(c, flags) {
    const rmi = str(flags, 'rmi');
    if (rmi !== undefined && rmi !== 'local' && rmi !== 'all')
      throw usageError(`invalid --rmi ${JSON.stringify(rmi)}: local or all`);
    const project = await c.project();
    const timeout = int(flags, 'timeout');
    await c.withProgress('Running', (sink) =>
      project.down({
        progress: sink,
        volumes: bool(flags, 'volumes'),
        removeOrphans: bool(flags, 'remove-orphans'),
        ...(rmi && { rmi: rmi as 'local' | 'all' }),
        ...(timeout !== undefined && { timeout }),
      }),
    );
    return 0;
  },
};

function lifecycleSub(
  name: 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause',
  summary: string,
  title: string,
): Sub {
  const flags: Sub['flags'] =
    name === 'stop' || name === 'restart'
      ? [{ name: 'timeout', short: 't', type: 'int', description: 'Specify a shutdown timeout in seconds' }]
      : name === 'kill'
        ? [{ name: 'signal', short: 's', type: 'string', description: 'SIGNAL to send to the container' }]
        : [];
  return {
    name,
    usage: '[OPTIONS] [SERVICE...]',
    summary,
    flags,
    async run(c, f, args) {
      const project = await c.project();
      const timeout = int(f, 'timeout');
      await c.withProgress(title, (sink) =>
        project.lifecycle(name, {
          progress: sink,
          services: args,
          ...(timeout !== undefined && { timeout }),
          ...(str(f, 'signal') && { signal_: str(f, 'signal') }),
        }),
      );
      return 0;
    },
  };
}

export const lifecycleSubs: Sub[] = [
  lifecycleSub('start', 'Start services', 'Running'),
  lifecycleSub('stop', 'Stop services', 'Stopping'),
  lifecycleSub('restart', 'Restart service containers', 'Restarting'),
  lifecycleSub('kill', 'Force stop service containers', 'Killing'),
  lifecycleSub('pause', 'Pause services', 'Pausing'),
  lifecycleSub('unpause', 'Unpause services', 'Unpausing'),
];

export const rmSub: Sub = {
  name: 'rm',
  usage: '[OPTIONS] [SERVICE...]',
  summary: 'Removes stopped service containers',
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: "Don't ask to confirm removal" },
    { name: 'stop', short: 's', type: 'bool', description: 'Stop the containers, if required, before removing' },
    { name: 'volumes', short: 'v', type: 'bool', description: 'Remove any anonymous volumes attached to containers' },
  ],
  async run(c, flags, args) {
    const project = await c.project();
    const removed = await c.withProgress('Removing', (sink) =>
      project.rm({
        progress: sink,
        services: args,
        force: true,
        stop: bool(flags, 'stop'),
        volumes: bool(flags, 'volumes'),
      }),
    );
    if (!removed.length) await write(c.ctx.io.stderr, 'No stopped containers\n');
    return 0;
  },
};

export const buildSub: Sub = {
  name: 'build',
  usage: '[OPTIONS] [SERVICE...]',
  summary: 'Build or rebuild services',
  flags: [
    { name: 'no-cache', type: 'bool', description: 'Do not use cache when building the image' },
    { name: 'quiet', short: 'q', type: 'bool', description: "Don't print anything to STDOUT" },
  ],
  async run(c, flags, args) {
    const project = await c.project();
    const quiet = bool(flags, 'quiet');
    await c.withProgress('Building', (sink) =>
      project.build({
        progress: sink,
        services: args,
        noCache: bool(flags, 'no-cache'),
        onOutput: (_s, data) => {
          if (!quiet) c.ctx.io.stdout.write(data);
        },
      }),
    );
    return 0;
  },
};

export const pullSub: Sub = {
  name: 'pull',
  usage: '[OPTIONS] [SERVICE...]',
  summary: 'Pull service images',
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', description: 'Pull without printing progress information' },
    { name: 'ignore-buildable', type: 'bool', description: 'Ignore images that can be built' },
  ],
  async run(c, flags, args) {
    const project = await c.project();
    await c.withProgress('Pulling', (sink) =>
      project.pull({ progress: bool(flags, 'quiet') ? () => {} : sink, services: args }),
    );
    return 0;
  },
};

export const pushSub: Sub = {
  name: 'push',
  usage: '[OPTIONS] [SERVICE...]',
  summary: 'Push service images',
  flags: [{ name: 'quiet', short: 'q', type: 'bool', description: 'Push without printing progress information' }],
  async run(c, flags, args) {
    const project = await c.project();
    await c.withProgress('Pushing', (sink) =>
      project.push({ progress: bool(flags, 'quiet') ? () => {} : sink, services: args }),
    );
    return 0;
  },
};

export const waitSub: Sub = {
  name: 'wait',
  usage: 'SERVICE [SERVICE...] [OPTIONS]',
  summary: 'Block until the first service container stops',
  flags: [{ name: 'down-project', type: 'bool', description: 'Drops project when the first container stops' }],
  minArgs: 1,
  async run(c, flags, args) {
    const project = await c.project();
    const containers = await c.clients.containers();
    const list = await project.containers({ services: args });
    if (!list.length) throw invalidArgument(`no containers for services ${args.join(', ')}`);
    const first = await Promise.race(list.map((x) => containers.wait(x.id).then((st) => ({ x, st }))));
    await write(c.ctx.io.stdout, `${first.st.exitCode}\n`);
    if (bool(flags, 'down-project')) await project.down({});
    return first.st.exitCode;
  },
};
