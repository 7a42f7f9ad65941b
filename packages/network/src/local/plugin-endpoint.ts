import { randomBytes } from 'node:crypto';
import { internal } from '@tscr/api';
import type { CallOptions, PortBinding } from '../types.js';
import type { IpamAllocator } from './ipam-allocator.js';
import type { PluginEndpointRecord, PluginNetworkRecord } from './plugin-state.js';
import {
  type PluginCallOptions,
  type CreateEndpointRequest,
  type CreateEndpointResponse,
  type JoinResponse,
  OPT,
  type PluginTransport,
} from './remote-api.js';
import { optionalCall } from './plugin-capabilities.js';
import { deleteHostInterface, moveIntoSandbox } from './sandbox.js';
import { run } from './exec.js';
import { macFor, parseIp } from './ipam.js';

/**
 * Options of calls that undo a failed step: no retries and a short limit (a plugin that just failed is not
 * waited for again), and not the caller's signal (a cancelled call is still undone).
 */
export const UNDO_CALL: PluginCallOptions = { retry: false, timeoutMs: 10_000 };

/** A random locally administered unicast MAC, as dockerd makes one for an IPAM driver that needs it. */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = ((b[0] ?? 0) & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** What {@link joinEndpoint} needs. */
export interface JoinContext {
  plugin: PluginTransport;
  ipam: IpamAllocator;
  net: PluginNetworkRecord;
  netns: string;
  /** Interface names already used in the container. */
  taken: ReadonlySet<string>;
  /** Whether this endpoint gives the container its default route. */
  routed: boolean;
  aliases: string[];
  ip?: string;
  ports: PortBinding[];
  opts?: CallOptions;
  logger: (message: string) => void;
}

function portOptions(ports: PortBinding[]): Record<string, unknown> {
  if (ports.length === 0) return {};
  const proto = (p: PortBinding) => (p.protocol === 'udp' ? 17 : 6);
  return {
    [OPT.exposedPorts]: ports.map((p) => ({ Proto: proto(p), Port: p.containerPort })),
    [OPT.portMap]: ports.map((p) => ({
      Proto: proto(p),
      Port: p.containerPort,
      HostIP: p.hostIp,
      HostPort: p.hostPort,
      HostPortEnd: p.hostPort,
    })),
  };
}

/**
 * One endpoint from nothing to working, in libnetwork's order: RequestAddress (IPAM), CreateEndpoint, Join,
 * the driver's interface moved into the container and configured, ProgramExternalConnectivity on the routed
 * one. A failure at any step undoes the steps before it (best effort: a plugin that is gone cannot be told)
 * and deletes the driver's interface if it never reached the container.
 */
export async function joinEndpoint(c: JoinContext): Promise<PluginEndpointRecord> {
  const { plugin, net, opts } = c;
  // An IPAM driver that needs the MAC gets it with the address request, so it is chosen first (as dockerd does).
  const chosenMac = (await c.ipam.requiresMacAddress?.(opts)) ? randomMac() : undefined;
  const address = await c.ipam.requestAddress(
    net.pool.poolId,
    { ...(c.ip && { address: c.ip }), ...(chosenMac && { mac: chosenMac }) },
    opts,
  );
  const endpointId = randomBytes(32).toString('hex');
  const ids = { NetworkID: net.id, EndpointID: endpointId };
  const undo: Array<() => Promise<unknown>> = [
    () => c.ipam.releaseAddress(net.pool.poolId, address.split('/')[0] ?? '', UNDO_CALL),
  ];
  try {
    const req: CreateEndpointRequest = {
      ...ids,
      Interface: { Address: address, AddressIPv6: '', MacAddress: chosenMac ?? '' },
      Options: portOptions(c.ports),
    };
    const created = await plugin.call<CreateEndpointResponse>('NetworkDriver.CreateEndpoint', req, opts);
    undo.unshift(() => plugin.call('NetworkDriver.DeleteEndpoint', ids, UNDO_CALL));
    const joined = await plugin.call<JoinResponse>(
      'NetworkDriver.Join',
      { ...ids, SandboxKey: c.netns, Options: {} },
      opts,
    );
    undo.unshift(() => plugin.call('NetworkDriver.Leave', ids, UNDO_CALL));
    const src = joined?.InterfaceName;
    if (!src || typeof src.SrcName !== 'string' || typeof src.DstPrefix !== 'string') {
      throw internal(`network plugin ${plugin.name}: Join answered no InterfaceName`, {
        details: { driver: plugin.name },
      });
    }
    undo.unshift(() => deleteHostInterface(src.SrcName));
    let idx = 0;
    while (c.taken.has(`${src.DstPrefix}${idx}`)) idx++;
    const gateway = c.routed && !net.internal && typeof joined.Gateway === 'string' ? joined.Gateway : '';
    // The MAC chosen for the IPAM driver, else the driver's when it chose one, else one made from the address
    // (as the bridge driver does).
    const given = created?.Interface?.MacAddress;
    const mac =
      chosenMac ?? (typeof given === 'string' && given ? given : macFor(parseIp(address.split('/')[0] ?? '')));
    const ep: PluginEndpointRecord = {
      networkId: net.id,
      endpointId,
      address,
      mac,
      ifname: `${src.DstPrefix}${idx}`,
      gateway,
      aliases: [...c.aliases],
      staticIp: Boolean(c.ip),
      external: false,
    };
    await moveIntoSandbox(c.netns, {
      srcName: src.SrcName,
      ifname: ep.ifname,
      address,
      mac,
      ...(gateway && { gateway }),
      routes: Array.isArray(joined.StaticRoutes) ? joined.StaticRoutes : [],
    });
    if (c.routed) {
      await optionalCall(plugin, 'NetworkDriver.ProgramExternalConnectivity', { ...ids, Options: {} }, opts);
      ep.external = true;
    }
    return ep;
  } catch (err) {
    for (const step of undo) {
      await step().catch((e: unknown) =>
        c.logger(`network plugin ${plugin.name}: undoing endpoint ${endpointId.slice(0, 12)}: ${(e as Error).message}`),
      );
    }
    throw err;
  }
}

/**
 * Takes an endpoint down in libnetwork's order: RevokeExternalConnectivity, Leave, (the interface deleted in
 * the container when `inSandbox`), DeleteEndpoint, ReleaseAddress. Keeps going past failures, which it logs.
 */
export async function leaveEndpoint(
  plugin: PluginTransport | undefined,
  ipam: IpamAllocator | undefined,
  net: PluginNetworkRecord,
  ep: PluginEndpointRecord,
  o: { netns?: string; opts?: CallOptions; logger: (message: string) => void },
): Promise<void> {
  const ids = { NetworkID: net.id, EndpointID: ep.endpointId };
  const steps: Array<[string, () => Promise<unknown>]> = [];
  if (plugin) {
    if (ep.external)
      steps.push([
        'RevokeExternalConnectivity',
        () => optionalCall(plugin, 'NetworkDriver.RevokeExternalConnectivity', ids, o.opts),
      ]);
    steps.push(['Leave', () => plugin.call('NetworkDriver.Leave', ids, o.opts)]);
  }
  if (o.netns) {
    const path = o.netns;
    steps.push(['delete interface', () => run('nsenter', [`--net=${path}`, 'ip', 'link', 'del', ep.ifname])]);
  }
  if (plugin) steps.push(['DeleteEndpoint', () => plugin.call('NetworkDriver.DeleteEndpoint', ids, o.opts)]);
  if (ipam) {
    const ip = ep.address.split('/')[0] ?? '';
    steps.push(['ReleaseAddress', () => ipam.releaseAddress(net.pool.poolId, ip, o.opts)]);
  }
  for (const [what, step] of steps) {
    await step().catch((e: unknown) =>
      o.logger(`network ${net.name}: endpoint ${ep.endpointId.slice(0, 12)}: ${what}: ${(e as Error).message}`),
    );
  }
}
