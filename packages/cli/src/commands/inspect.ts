import { isNotFound, notFound, type ContainerInfo, type Image } from '@tscr/api';
import { str, usageError } from '../args.js';
import type { Command, Context } from '../command.js';
import { familiarName } from '../format.js';
import { printInspected } from './inspect-print.js';
import { dockerNetworkHostConfigJson, dockerNetworkSettingsJson } from './network.js';
import { dockerResourcesJson } from './resource-flags.js';

/** Docker's zero time, shown for times that never happened. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** A container as `docker inspect` shows it (Docker Engine API field names). */
export function dockerContainerJson(c: ContainerInfo): Record<string, unknown> {
  const { config: cfg, hostConfig: host, state } = c;
  return {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    State: {
      Status: state.status,
      Running: state.running,
      Paused: state.status === 'paused',
      Restarting: state.status === 'restarting',
      OOMKilled: state.oomKilled,
      Dead: state.status === 'dead',
      Pid: state.pid,
      ExitCode: state.exitCode,
      Error: state.error,
      StartedAt: state.startedAt || ZERO_TIME,
      FinishedAt: state.finishedAt || ZERO_TIME,
      ...(state.health && {
        Health: {
          Status: state.health.status,
          FailingStreak: state.health.failingStreak,
          Log: state.health.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })),
        },
      }),
    },
    Image: c.image,
    LogPath: c.logPath,
    Name: `/${c.name.replace(/^\//, '')}`,
    RestartCount: c.restartCount,
    Driver: 'overlay',
    HostConfig: {
      Binds: host.binds ?? null,
      NetworkMode: host.networkMode ?? '',
      AutoRemove: host.autoRemove ?? false,
      ReadonlyRootfs: host.readonlyRootfs ?? false,
      Runtime: host.runtime ?? '',
      ...dockerNetworkHostConfigJson(c),
      ...dockerResourcesJson(host),
      RestartPolicy: {
        Name: host.restartPolicy?.name ?? 'no',
        MaximumRetryCount: host.restartPolicy?.maximumRetryCount ?? 0,
      },
      LogConfig: { Type: host.logConfig?.type || 'k8s-file', Config: host.logConfig?.config ?? {} },
      Mounts: (host.mounts ?? []).map((m) => ({
        Type: m.type,
        Source: m.source,
        Target: m.target,
        ReadOnly: m.readOnly ?? false,
        ...(m.options && { Options: m.options }),
      })),
    },
    GraphDriver: { Name: 'overlay', Data: { MergedDir: c.rootfs } },
    NetworkSettings: dockerNetworkSettingsJson(c),
    Mounts: c.mounts.map((m) => ({
      Type: m.type,
      ...(m.name !== undefined && { Name: m.name }),
      Source: m.source,
      Destination: m.destination,
      Mode: '',
      RW: m.rw,
      Propagation: '',
    })),
    Config: {
      Hostname: cfg.hostname ?? '',
      User: cfg.user ?? '',
      Tty: cfg.tty ?? false,
      OpenStdin: cfg.openStdin ?? false,
      Env: cfg.env ?? null,
      Cmd: cfg.cmd ?? null,
      Image: cfg.image,
      WorkingDir: cfg.workingDir ?? '',
      Entrypoint: cfg.entrypoint ?? null,
      Labels: cfg.labels ?? {},
      ...(cfg.stopSignal !== undefined && { StopSignal: cfg.stopSignal }),
      ...(cfg.stopTimeout !== undefined && { StopTimeout: cfg.stopTimeout }),
      ...(cfg.healthcheck && {
        Healthcheck: {
          Test: cfg.healthcheck.test ?? [],
          Interval: (cfg.healthcheck.intervalMs ?? 0) * 1e6,
          Timeout: (cfg.healthcheck.timeoutMs ?? 0) * 1e6,
          StartPeriod: (cfg.healthcheck.startPeriodMs ?? 0) * 1e6,
          Retries: cfg.healthcheck.retries ?? 0,
        },
      }),
    },
  };
}

const asSet = (keys: string[] | undefined) =>
  keys && keys.length > 0 ? Object.fromEntries(keys.map((k) => [k, {}])) : null;

/** An image as `docker image inspect` shows it. */
export function dockerImageJson(i: Image): Record<string, unknown> {
  const cfg = i.config;
  return {
    Id: i.id,
    RepoTags: i.repoTags.map(familiarName),
    RepoDigests: i.repoDigests.map(familiarName),
    Parent: i.parent ?? '',
    Comment: i.comment ?? '',
    Created: i.created,
    Config: {
      User: cfg.user ?? '',
      ExposedPorts: asSet(cfg.exposedPorts),
      Env: cfg.env ?? null,
      Cmd: cfg.cmd ?? null,
      Volumes: asSet(cfg.volumes),
      WorkingDir: cfg.workingDir ?? '',
      Entrypoint: cfg.entrypoint ?? null,
      Labels: cfg.labels ?? null,
      ...(cfg.stopSignal !== undefined && { StopSignal: cfg.stopSignal }),
      OnBuild: cfg.onBuild ?? null,
      ...(cfg.shell !== undefined && { Shell: cfg.shell }),
    },
    Architecture: i.architecture,
    Os: i.os,
    Size: i.size,
    RootFS: { Type: 'layers', Layers: i.layers },
  };
}

type Kind = 'container' | 'image' | undefined;

async function lookup(ctx: Context, kind: Kind, name: string): Promise<Record<string, unknown>> {
  if (kind !== 'image') {
    try {
      return dockerContainerJson(await (await ctx.clients.containers()).inspect(name));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      if (kind === 'container') throw notFound(`No such container: ${name}`);
    }
  }
  try {
    return dockerImageJson(await (await ctx.clients.images()).get(name));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw notFound(kind === 'image' ? `No such image: ${name}` : `No such object: ${name}`);
  }
}

function inspectCommand(path: string[], fixed: Kind, aliases: string[][]): Command {
  return {
    path,
    aliases,
    usage: '[OPTIONS] NAME|ID [NAME|ID...]',
    summary: `Return low-level information on ${fixed ? `${fixed}s` : 'containers or images'}`,
    flags: [
      {
        name: 'format',
        short: 'f',
        type: 'string',
        description: 'Format output using a Go template ({{.State.Status}})',
      },
      ...(fixed
        ? []
        : [{ name: 'type', type: 'string' as const, description: 'Only inspect objects of the given type' }]),
    ],
    minArgs: 1,
    async run(ctx, flags, args) {
      const type = fixed ?? str(flags, 'type');
      if (type !== undefined && type !== 'container' && type !== 'image') {
        throw usageError(`"${type}" is not a valid value for --type`);
      }
      return printInspected(ctx, flags, args, (name) => lookup(ctx, type, name));
    },
  };
}

/** `tscr inspect`. */
export const inspectAnyCommand = inspectCommand(['inspect'], undefined, []);
/** `tscr container inspect`. */
export const containerInspectCommand = inspectCommand(['container', 'inspect'], 'container', []);
/** `tscr image inspect`. */
export const imageInspectCommand = inspectCommand(['image', 'inspect'], 'image', []);
