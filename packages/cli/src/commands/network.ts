import { notFound, type PortBindingEntry } from '@tscr/api';
import type { CreateContainerRequest } from '@tscr/container';
import { type Network, parsePortSpec } from '@tscr/network';
import { bool, list, str, usageError, type FlagSpec, type FlagValues } from '../args.js';
import { forEachArg, write, type Command } from '../command.js';
import { printInspected } from './inspect-print.js';
import { formatList, shortId, table } from '../format.js';

/** The networking flags of `run` and `create` (docker's names). */
export const networkFlags: FlagSpec[] = [
  { name: 'network-alias', type: 'list', description: 'Add network-scoped alias for the container' },
  { name: 'ip', type: 'string', description: 'IPv4 address (e.g., 172.30.100.104)' },
  { name: 'publish', short: 'p', type: 'list', description: "Publish a container's port(s) to the host" },
  { name: 'publish-all', short: 'P', type: 'bool', description: 'Publish all exposed ports to random ports' },
  { name: 'dns', type: 'list', description: 'Set custom DNS servers' },
  { name: 'dns-search', type: 'list', description: 'Set custom DNS search domains' },
  { name: 'dns-option', type: 'list', description: 'Set DNS options' },
  { name: 'add-host', type: 'list', description: 'Add a custom host-to-IP mapping (host:ip)' },
];

/** `-p` values → `HostConfig.PortBindings`. @throws InvalidArgument (usage) for a malformed spec. */
export function portBindingsOf(specs: string[]): Record<string, PortBindingEntry[]> {
  const out: Record<string, PortBindingEntry[]> = {};
  for (const spec of specs) {
    let b: ReturnType<typeof parsePortSpec>;
    try {
      b = parsePortSpec(spec);
    } catch (err) {
      throw usageError(`invalid argument "${spec}" for "-p, --publish" flag: ${(err as Error).message}`);
    }
    const key = `${b.containerPort}/${b.protocol}`;
    out[key] = [...(out[key] ?? []), { hostIp: b.hostIp, hostPort: b.hostPort === 0 ? '' : String(b.hostPort) }];
  }
  return out;
}

/** Adds the networking flags to a create request. */
export function applyNetworkFlags(flags: FlagValues, req: CreateContainerRequest): void {
  req.hostConfig ??= {};
  const host = req.hostConfig;
  const publish = list(flags, 'publish');
  if (publish.length > 0) host.portBindings = portBindingsOf(publish);
  if (bool(flags, 'publish-all')) host.publishAllPorts = true;
  for (const [flag, key] of [
    ['dns', 'dns'],
    ['dns-search', 'dnsSearch'],
    ['dns-option', 'dnsOptions'],
    ['add-host', 'extraHosts'],
  ] as const) {
    const values = list(flags, flag);
    if (values.length > 0) host[key] = values;
  }
  const aliases = list(flags, 'network-alias');
  const ip = str(flags, 'ip');
  if (aliases.length > 0 || ip !== undefined) {
    const net = host.networkMode;
    if (
      !net ||
      net === 'bridge' ||
      net === 'default' ||
      net === 'host' ||
      net === 'none' ||
      net.startsWith('container:')
    ) {
      throw usageError('--network-alias and --ip need a user-defined network (--network NAME)');
    }
    req.networkingConfig = {
      [net]: { ...(aliases.length > 0 && { aliases }), ...(ip !== undefined && { ipamConfig: { ipv4Address: ip } }) },
    };
  }
}

function keyValues(entries: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (flag === '--opt' && eq <= 0) throw usageError(`invalid ${flag} ${JSON.stringify(e)}: want key=value`);
    out[eq < 0 ? e : e.slice(0, eq)] = eq < 0 ? '' : e.slice(eq + 1);
  }
  return out;
}

/** `tscr network create`. */
export const networkCreateCommand: Command = {
  path: ['network', 'create'],
  usage: '[OPTIONS] NETWORK',
  summary: 'Create a network',
  flags: [
    { name: 'driver', short: 'd', type: 'string', description: 'Driver to manage the Network (default "bridge")' },
    { name: 'subnet', type: 'string', description: 'Subnet in CIDR format that represents a network segment' },
    { name: 'gateway', type: 'string', description: 'IPv4 Gateway for the master subnet' },
    { name: 'ip-range', type: 'string', description: 'Allocate container ip from a sub-range' },
    { name: 'internal', type: 'bool', description: 'Restrict external access to the network' },
    { name: 'label', type: 'list', description: 'Set metadata on a network' },
    { name: 'opt', short: 'o', type: 'list', description: 'Set driver specific options' },
    { name: 'ipam-driver', type: 'string', description: 'IP Address Management Driver (default "default")' },
    { name: 'ipam-opt', type: 'list', description: 'Set IPAM driver specific options' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, args) {
    const opt = <K extends string>(k: K, v: string | undefined) => (v !== undefined ? { [k]: v } : {});
    const n = await (await ctx.clients.networks()).create(args[0]!, {
      ...opt('driver', str(flags, 'driver')),
      ...opt('subnet', str(flags, 'subnet')),
      ...opt('gateway', str(flags, 'gateway')),
      ...opt('ipRange', str(flags, 'ip-range')),
      internal: bool(flags, 'internal'),
      labels: keyValues(list(flags, 'label'), '--label'),
      options: keyValues(list(flags, 'opt'), '--opt'),
      ...opt('ipamDriver', str(flags, 'ipam-driver')),
      ipamOptions: keyValues(list(flags, 'ipam-opt'), '--ipam-opt'),
    });
    await write(ctx.io.stdout, `${n.id}\n`);
    return 0;
  },
};

/** `tscr network ls`. */
export const networkLsCommand: Command = {
  path: ['network', 'ls'],
  aliases: [['network', 'list']],
  usage: '[OPTIONS]',
  summary: 'List networks',
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display network IDs' },
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate the output' },
    { name: 'format', type: 'string', description: "Format output: 'table', 'json' or a Go template ({{.Name}})" },
  ],
  maxArgs: 0,
  async run(ctx, flags) {
    const nets = (await (await ctx.clients.networks()).list()).sort((a, b) => a.name.localeCompare(b.name));
    const id = (n: Network) => (bool(flags, 'no-trunc') ? n.id : shortId(n.id));
    const format = str(flags, 'format') ?? 'table';
    let out: string;
    if (bool(flags, 'quiet')) out = nets.map((n) => `${id(n)}\n`).join('');
    else {
      out = formatList(
        format,
        nets,
        (n) => ({ ID: id(n), Name: n.name, Driver: n.driver, Scope: n.scope || 'local', Internal: String(n.internal) }),
        () =>
          table(
            ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'],
            nets.map((n) => [id(n), n.name, n.driver, n.scope || 'local']),
          ),
      );
    }
    await write(ctx.io.stdout, out);
    return 0;
  },
};

/** `tscr network inspect`. */
export const networkInspectCommand: Command = {
  path: ['network', 'inspect'],
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  summary: 'Display detailed information on one or more networks',
  flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a Go template' }],
  minArgs: 1,
  async run(ctx, flags, args) {
    const networks = await ctx.clients.networks();
    const { networkJson } = await import('./network-json.js');
    return printInspected(ctx, flags, args, async (name) =>
      networkJson(await networks.get(name, { driverInfo: true })),
    );
  },
};

/** `tscr network rm`. */
export const networkRmCommand: Command = {
  path: ['network', 'rm'],
  aliases: [['network', 'remove']],
  usage: 'NETWORK [NETWORK...]',
  summary: 'Remove one or more networks',
  flags: [],
  minArgs: 1,
  async run(ctx, _flags, args) {
    const networks = await ctx.clients.networks();
    return forEachArg(ctx, args, async (name) => {
      await networks.remove(name);
      return name;
    });
  },
};

/** `tscr network prune`. */
export const networkPruneCommand: Command = {
  path: ['network', 'prune'],
  usage: '[OPTIONS]',
  summary: 'Remove all unused networks',
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' }],
  maxArgs: 0,
  async run(ctx, flags) {
    if (!bool(flags, 'force'))
      throw usageError('network prune asks for confirmation, which tscr cannot do yet: pass --force');
    const removed = await (await ctx.clients.networks()).prune();
    await write(ctx.io.stdout, removed.length > 0 ? `Deleted Networks:\n${removed.join('\n')}\n` : '');
    return 0;
  },
};

/** `tscr network connect`: a container joins one more network (a running one at once, kept for later starts). */
export const networkConnectCommand: Command = {
  path: ['network', 'connect'],
  usage: '[OPTIONS] NETWORK CONTAINER',
  summary: 'Connect a container to a network',
  flags: [
    { name: 'alias', type: 'list', description: 'Add network-scoped alias for the container' },
    { name: 'ip', type: 'string', description: 'IPv4 address (e.g., 172.30.100.104)' },
  ],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, flags, args) {
    const ip = str(flags, 'ip');
    await (await ctx.clients.containers()).connectNetwork(args[1]!, args[0]!, {
      aliases: list(flags, 'alias'),
      ...(ip !== undefined && { ip }),
    });
    return 0;
  },
};

/** `tscr network disconnect`. */
export const networkDisconnectCommand: Command = {
  path: ['network', 'disconnect'],
  usage: 'NETWORK CONTAINER',
  summary: 'Disconnect a container from a network',
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, _flags, args) {
    await (await ctx.clients.containers()).disconnectNetwork(args[1]!, args[0]!);
    return 0;
  },
};

/** `tscr port CONTAINER [PRIVATE_PORT[/PROTO]]`. */
export const portCommand: Command = {
  path: ['port'],
  aliases: [['container', 'port']],
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  summary: 'List port mappings or a specific mapping for the container',
  flags: [],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, _flags, args) {
    const c = await (await ctx.clients.containers()).inspect(args[0]!);
    const want = args[1] === undefined ? undefined : args[1].includes('/') ? args[1] : `${args[1]}/tcp`;
    const lines: string[] = [];
    for (const [key, list] of Object.entries(c.networkSettings?.ports ?? {}).sort()) {
      if (want !== undefined && key !== want) continue;
      for (const b of list) {
        const addr = `${b.hostIp || '0.0.0.0'}:${b.hostPort}`;
        lines.push(want !== undefined ? addr : `${key} -> ${addr}`);
      }
    }
    if (want !== undefined && lines.length === 0) {
      throw notFound(`no public port '${want}' published for ${c.name}`, { details: { port: want } });
    }
    await write(ctx.io.stdout, lines.map((l) => `${l}\n`).join(''));
    return 0;
  },
};

/** Every command of this file, for the command table. */
export const networkCommands: Command[] = [
  networkCreateCommand,
  networkLsCommand,
  networkInspectCommand,
  networkRmCommand,
  networkPruneCommand,
  networkConnectCommand,
  networkDisconnectCommand,
  portCommand,
];
