/** `tscr compose up`, `create` and `logs`: converge, then (without `-d`) follow the output. */
import { failedPrecondition, isCancelled } from '@tscr/api';
import type { ComposeProject, UpOptions } from '@tscr/compose';
import { bool, int, list, str, usageError, type FlagValues } from '../../args.js';
import { write } from '../../command.js';
import { type ComposeContext, logPrinter, type Sub } from './shared.js';

function scale(flags: FlagValues): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of list(flags, 'scale')) {
    const m = /^([^=]+)=(\d+)$/.exec(s);
    if (!m) throw usageError(`invalid --scale ${JSON.stringify(s)}: want SERVICE=NUM`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

function upOptions(flags: FlagValues, services: string[]): UpOptions {
  if (bool(flags, 'build') && bool(flags, 'no-build')) throw usageError('--build and --no-build are incompatible');
  if (bool(flags, 'force-recreate') && bool(flags, 'no-recreate'))
    throw usageError('--force-recreate and --no-recreate are incompatible');
  const pull = str(flags, 'pull');
  if (pull !== undefined && !['always', 'missing', 'never'].includes(pull))
    throw usageError(`invalid --pull ${JSON.stringify(pull)}: always, missing or never`);
  const timeout = int(flags, 'timeout');
  const waitTimeout = int(flags, 'wait-timeout');
  return {
    services,
    ...(bool(flags, 'build') && { build: 'always' as const }),
    ...(bool(flags, 'no-build') && { build: 'never' as const }),
    ...(pull && { pull: pull as 'always' | 'missing' | 'never' }),
    forceRecreate: bool(flags, 'force-recreate'),
    noRecreate: bool(flags, 'no-recreate'),
    noDeps: bool(flags, 'no-deps'),
    removeOrphans: bool(flags, 'remove-orphans'),
    alwaysRecreateDeps: bool(flags, 'always-recreate-deps'),
    scale: scale(flags),
    noStart: bool(flags, 'no-start'),
    wait: bool(flags, 'wait'),
    quietPull: bool(flags, 'quiet-pull'),
    ...(timeout !== undefined && { timeout }),
    ...(waitTimeout !== undefined && { waitTimeout }),
  };
}

const convergeFlags = [
  { name: 'build', type: 'bool', description: 'Build images before starting containers' },
  { name: 'no-build', type: 'bool', description: "Don't build an image, even if it's policy" },
  { name: 'pull', type: 'string', description: 'Pull image before running ("always"|"missing"|"never")' },
  {
    name: 'force-recreate',
    type: 'bool',
    description: "Recreate containers even if their configuration and image haven't changed",
  },
  { name: 'no-recreate', type: 'bool', description: "If containers already exist, don't recreate them" },
  {
    name: 'remove-orphans',
    type: 'bool',
    description: 'Remove containers for services not defined in the Compose file',
  },
  { name: 'scale', type: 'list', description: 'Scale SERVICE to NUM instances (SERVICE=NUM)' },
  { name: 'quiet-pull', type: 'bool', description: 'Pull without printing progress information' },
] as const;

/** Follows the logs of the project's containers until they all stop (or one does, with `abort`). */
async function attachAll(
  c: ComposeContext,
  project: ComposeProject,
  flags: FlagValues,
  services: string[],
): Promise<number> {
  const ac = new AbortController();
  const print = logPrinter(c, flags, project.model.name);
  const containers = await c.clients.containers();
  const list0 = await project.containers({ services });
  const abort = bool(flags, 'abort-on-container-exit') || str(flags, 'exit-code-from') !== undefined;
  const from = str(flags, 'exit-code-from');
  let code = 0;
  let interrupted = false;
  let firstExit!: () => void;
  const exited = new Promise<void>((resolve) => (firstExit = resolve));
  const onInt = () => {
    interrupted = true;
    ac.abort();
    firstExit();
  };
  c.ctx.io.signals?.on('SIGINT', onInt);
  c.ctx.io.signals?.on('SIGTERM', onInt);
  const short = (name: string) =>
    name.startsWith(`${project.model.name}-`) ? name.slice(project.model.name.length + 1) : name;
  const waits = list0.map(async (x) => {
    const st = await containers.wait(x.id, { signal: ac.signal });
    if (from ? x.service === from : abort && code === 0) code = st.exitCode;
    await write(c.ctx.io.stdout, `${short(x.name)} exited with code ${st.exitCode}\n`);
    firstExit();
  });
  // Each container's log stream ends when it stops; an interrupt ends them all.
  const logs = (async () => {
    for await (const e of project.logs({ services, follow: true, signal: ac.signal })) await print(e);
  })().catch((err: unknown) => {
    if (!isCancelled(err) && !ac.signal.aborted) throw err;
  });
  try {
    if (abort || interrupted) await exited;
    else await Promise.allSettled(waits);
    if (interrupted || abort) {
      await write(
        c.ctx.io.stderr,
        interrupted ? 'Gracefully stopping... (press Ctrl+C again to force)\n' : 'Aborting on container exit...\n',
      );
      await c.withProgress('Stopping', (sink) => project.lifecycle('stop', { services, progress: sink }));
    }
    await Promise.allSettled(waits);
    await logs;
  } finally {
    ac.abort();
    c.ctx.io.signals?.off('SIGINT', onInt);
    c.ctx.io.signals?.off('SIGTERM', onInt);
  }
  return interrupted ? 130 : code;
}

export const upSub: Sub = {
  name: 'up',
  usage: '[OPTIONS] [SERVICE...]',
  summary: 'Create and start containers',
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: Run containers in the background' },
    ...convergeFlags,
    { name: 'no-deps', type: 'bool', description: "Don't start linked services" },
    { name: 'always-recreate-deps', type: 'bool', description: 'Recreate dependent containers' },
    { name: 'no-start', type: 'bool', description: "Don't start the services after creating them" },
    { name: 'wait', type: 'bool', description: 'Wait for services to be running|healthy. Implies detached mode.' },
    {
      name: 'wait-timeout',
      type: 'int',
      description: 'Maximum duration in seconds to wait for the project to be running|healthy',
    },
    { name: 'abort-on-container-exit', type: 'bool', description: 'Stops all containers if any container was stopped' },
    { name: 'exit-code-from', type: 'string', description: 'Return the exit code of the selected service container' },
    { name: 'timeout', short: 't', type: 'int', description: 'Use this timeout in seconds for container shutdown' },
    { name: 'no-color', type: 'bool', description: 'Produce monochrome output' },
    { name: 'no-log-prefix', type: 'bool', description: "Don't print prefix in logs" },
    { name: 'timestamps', type: 'bool', description: 'Show timestamps' },
  ],
  async run(c, flags, args) {
    const o = upOptions(flags, args);
    const detach = bool(flags, 'detach') || bool(flags, 'wait');
    if (detach && (bool(flags, 'abort-on-container-exit') || str(flags, 'exit-code-from'))) {
      throw usageError('--abort-on-container-exit and --exit-code-from cannot be combined with -d / --wait');
    }
    const project = await c.project();
    const from = str(flags, 'exit-code-from');
    if (from && !project.model.services[from] && !project.model.disabled[from])
      throw failedPrecondition(`no such service: ${from}`);
    await c.withProgress('Running', (sink) => project.up({ ...o, progress: sink }));
    if (detach || o.noStart) return 0;
    return attachAll(c, project, flags, args);
  },
};

export const createSub: Sub = {
  name: 'create',
  usage: '[OPTIONS] [SERVICE...]',
  summary: 'Creates containers for a service',
  flags: [...convergeFlags],
  async run(c, flags, args) {
    const project = await c.project();
    await c.withProgress('Creating', (sink) => project.create({ ...upOptions(flags, args), progress: sink }));
    return 0;
  },
};

export const logsSub: Sub = {
  name: 'logs',
  usage: '[OPTIONS] [SERVICE...]',
  summary: 'View output from containers',
  flags: [
    { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
    {
      name: 'tail',
      short: 'n',
      type: 'string',
      description: 'Number of lines to show from the end of the logs for each container',
    },
    { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
    { name: 'since', type: 'string', description: 'Show logs since timestamp or relative (e.g. 42m)' },
    { name: 'until', type: 'string', description: 'Show logs before a timestamp or relative (e.g. 42m)' },
    { name: 'no-color', type: 'bool', description: 'Produce monochrome output' },
    { name: 'no-log-prefix', type: 'bool', description: "Don't print prefix in logs" },
  ],
  async run(c, flags, args) {
    const project = await c.project();
    const tail = str(flags, 'tail');
    if (tail !== undefined && tail !== 'all' && !/^\d+$/.test(tail))
      throw usageError(`invalid --tail ${JSON.stringify(tail)}`);
    const ac = new AbortController();
    const stop = () => ac.abort();
    c.ctx.io.signals?.on('SIGINT', stop);
    const print = logPrinter(c, flags, project.model.name);
    try {
      for await (const e of project.logs({
        services: args,
        follow: bool(flags, 'follow'),
        signal: ac.signal,
        ...(tail !== undefined && tail !== 'all' && { tail: Number(tail) }),
        ...(str(flags, 'since') && { since: str(flags, 'since') }),
        ...(str(flags, 'until') && { until: str(flags, 'until') }),
      })) {
        await print(e);
      }
    } catch (err) {
      if (!isCancelled(err) && !ac.signal.aborted) throw err;
    } finally {
      c.ctx.io.signals?.off('SIGINT', stop);
    }
    return 0;
  },
};
