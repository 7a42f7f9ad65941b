/** `tscr compose exec` and `run`: a process in a service's container, or a one-off container, with the CLI's own stdio handling. */
import type { MountSpec, PortBindingEntry } from '@tscr/api';
import { resolve } from 'node:path';
import { shellSplit } from '@tscr/compose';
import { parseBind } from '@tscr/volume';
import { bool, int, list, str, usageError, type FlagValues } from '../../args.js';
import { reportError, write } from '../../command.js';
import { startFailureExitCode } from '../../errors.js';
import { interactiveSession } from '../attach.js';
import { execCommand } from '../exec.js';
import { attachStartWait } from '../run.js';
import { isTerminal } from '../tty.js';
import type { Sub } from './shared.js';

export const execSub: Sub = {
  name: 'exec',
  usage: '[OPTIONS] SERVICE COMMAND [ARGS...]',
  summary: 'Execute a command in a running container',
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: Run command in the background' },
    { name: 'no-TTY', short: 'T', type: 'bool', description: 'Disable pseudo-TTY allocation' },
    { name: 'index', type: 'int', description: 'Index of the container if service has multiple replicas' },
    { name: 'env', short: 'e', type: 'list', description: 'Set environment variables' },
    { name: 'user', short: 'u', type: 'string', description: 'Run the command as this user' },
    { name: 'workdir', short: 'w', type: 'string', description: 'Path to workdir directory for this command' },
    { name: 'privileged', type: 'bool', description: 'Give extended privileges to the process' },
  ],
  stopAtPositional: true,
  minArgs: 2,
  async run(c, flags, args) {
    const [service, ...cmd] = args as [string, ...string[]];
    const project = await c.project();
    const target = await project.container(service, int(flags, 'index') ?? 1);
    const tty =
      !bool(flags, 'no-TTY') && !bool(flags, 'detach') && isTerminal(c.ctx.io.stdin) && isTerminal(c.ctx.io.stdout);
    const passed: FlagValues = {
      detach: bool(flags, 'detach'),
      tty,
      interactive: !bool(flags, 'detach') && c.ctx.io.stdin !== undefined,
      env: list(flags, 'env'),
      privileged: bool(flags, 'privileged'),
      ...(str(flags, 'user') && { user: str(flags, 'user') }),
      ...(str(flags, 'workdir') && { workdir: str(flags, 'workdir') }),
    };
    return execCommand.run(c.ctx, passed, [target.id, ...cmd]);
  },
};

function publish(specs: string[]): Record<string, PortBindingEntry[]> {
  const out: Record<string, PortBindingEntry[]> = {};
  for (const s of specs) {
    const m = /^(?:(\d+\.\d+\.\d+\.\d+):)?(?:(\d*):)?(\d+)(?:\/(tcp|udp))?$/.exec(s);
    if (!m) throw usageError(`invalid -p ${JSON.stringify(s)}: want [IP:][HOST:]CONTAINER[/PROTO]`);
    const key = `${m[3]}/${m[4] ?? 'tcp'}`;
    out[key] = [...(out[key] ?? []), { hostIp: m[1] ?? '', hostPort: m[2] ?? '' }];
  }
  return out;
}

/** `-v SRC:DST[:MODE]`; a relative source starts at the current directory. */
function mounts(specs: string[]): MountSpec[] {
  return specs.map((v) => parseBind(v.startsWith('.') ? resolve(v.split(':')[0]!) + v.slice(v.indexOf(':')) : v));
}

export const runSub: Sub = {
  name: 'run',
  usage: '[OPTIONS] SERVICE [COMMAND] [ARGS...]',
  summary: 'Run a one-off command on a service',
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
    { name: 'rm', type: 'bool', description: 'Automatically remove the container when it exits' },
    { name: 'no-TTY', short: 'T', type: 'bool', description: 'Disable pseudo-TTY allocation (default: auto-detected)' },
    { name: 'env', short: 'e', type: 'list', description: 'Set environment variables' },
    { name: 'entrypoint', type: 'string', description: 'Override the entrypoint of the image' },
    { name: 'no-deps', type: 'bool', description: "Don't start linked services" },
    {
      name: 'service-ports',
      type: 'bool',
      description: "Run command with all service's ports enabled and mapped to the host",
    },
    { name: 'publish', short: 'p', type: 'list', description: "Publish a container's port(s) to the host" },
    { name: 'volume', short: 'v', type: 'list', description: 'Bind mount a volume' },
    { name: 'name', type: 'string', description: 'Assign a name to the container' },
    { name: 'user', short: 'u', type: 'string', description: 'Run as specified username or uid' },
    { name: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container' },
  ],
  stopAtPositional: true,
  minArgs: 1,
  async run(c, flags, args) {
    const [service, ...command] = args as [string, ...string[]];
    const project = await c.project();
    const detach = bool(flags, 'detach');
    const tty = !bool(flags, 'no-TTY') && !detach && isTerminal(c.ctx.io.stdin) && isTerminal(c.ctx.io.stdout);
    const entrypoint = str(flags, 'entrypoint');
    const env = list(flags, 'env').map((e) => (e.includes('=') ? e : `${e}=${c.ctx.io.env[e] ?? ''}`));
    const made = await c.withProgress('Running', (sink) =>
      project.createOneoff(service, {
        progress: sink,
        noDeps: bool(flags, 'no-deps'),
        ...(command.length && { command }),
        ...(entrypoint !== undefined && { entrypoint: entrypoint === '' ? [] : shellSplit(entrypoint) }),
        ...(env.length && { env }),
        ...(str(flags, 'user') && { user: str(flags, 'user') }),
        ...(str(flags, 'workdir') && { workdir: str(flags, 'workdir') }),
        ...(str(flags, 'name') && { name: str(flags, 'name') }),
        tty,
        stdin: tty,
        servicePorts: bool(flags, 'service-ports'),
        publish: publish(list(flags, 'publish')),
        volumes: mounts(list(flags, 'volume')),
      }),
    );
    const containers = await c.clients.containers();
    const rm = bool(flags, 'rm');
    if (detach) {
      try {
        await containers.start(made.id);
      } catch (err) {
        await reportError(c.ctx, err);
        if (rm) await containers.remove(made.id, { force: true }).catch(() => undefined);
        return startFailureExitCode(err);
      }
      await write(c.ctx.io.stdout, `${made.name}\n`);
      return 0;
    }
    const code = tty
      ? await interactiveSession(c.ctx, containers, made.id, { start: true, removed: false, tty: true, stdin: true })
      : await attachStartWait(c.ctx, containers, made.id, { start: true, removed: false });
    if (rm) await containers.remove(made.id, { force: true }).catch(() => undefined);
    return code;
  },
};
