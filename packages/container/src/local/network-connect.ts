import type { ContainerInfo, EndpointSettings } from '@tscr/api';
import { failedPrecondition, invalidArgument } from '@tscr/api';
import type { ConnectNetworkOptions } from '../control-types.js';
import type { CallOptions } from '../types.js';
import type { ControlContext } from './control.js';
import { DEFAULT_NETWORK_MODE, IPV4, initialNetworkSettings } from './networking.js';

/** The network a container's mode names (`default` and empty mean the default bridge). */
function primaryOf(info: ContainerInfo): string {
  const mode = info.hostConfig.networkMode ?? '';
  return mode === '' || mode === 'default' ? DEFAULT_NETWORK_MODE : mode;
}

/** Modes whose namespace is not the container's own: nothing can be connected to them. */
function sharedMode(mode: string): boolean {
  return mode === 'host' || mode.startsWith('container:');
}

/** The configured endpoints (by network name) of a container. */
function endpointsOf(info: ContainerInfo): Record<string, EndpointSettings> {
  return { ...(info.networkSettings?.networks ?? {}) };
}

function withEndpoints(info: ContainerInfo, networks: Record<string, EndpointSettings>): ContainerInfo {
  const settings = info.networkSettings ?? initialNetworkSettings(undefined);
  return { ...info, networkSettings: { ...settings, networks } };
}

/**
 * Whether a running container has left the network its mode names (a
 * `network disconnect` from its only network keeps the mode, as Docker does,
 * but takes the endpoint away until the next start).
 */
async function leftModeNetwork(c: ControlContext, info: ContainerInfo, mode: string): Promise<boolean> {
  if (!info.state.running || endpointsOf(info)[mode] !== undefined) return false;
  const live = await c.o.networks.attachment(info.id);
  return live?.mode === 'path' && !live.endpoints.some((e) => e.networkName === mode);
}

/**
 * `network connect`: records the endpoint in the container's configuration
 * (so it is there at every later start) and, when it runs, asks the network
 * layer for it now. A stopped container left with network `none` (after a
 * disconnect from its only network) takes the new network as its mode; so
 * does a running one that left its only network, unless it joins that
 * network again.
 */
export async function connectNetwork(
  c: ControlContext,
  ref: string,
  network: string,
  opts: ConnectNetworkOptions = {},
): Promise<void> {
  if (opts.ip !== undefined && !IPV4.test(opts.ip)) {
    throw invalidArgument(`invalid IPv4 address ${JSON.stringify(opts.ip)}`, { details: { ip: opts.ip } });
  }
  const net = await c.o.networks.get(network, opts);
  const { id } = c.resolve(ref);
  await c.lock.run(id, async () => {
    let info = c.resolve(id);
    const mode = primaryOf(info);
    const endpoints = endpointsOf(info);
    if (sharedMode(mode) || net.driver === 'host' || net.driver === 'null') {
      throw failedPrecondition(
        `container ${info.name} cannot be connected to network ${net.name}: its network mode is ${JSON.stringify(mode)}`,
        { details: { id, network: net.name } },
      );
    }
    const left = await leftModeNetwork(c, info, mode);
    if ((mode === net.name && !left) || endpoints[net.name] !== undefined) {
      throw failedPrecondition(`container ${info.name} is already connected to network ${net.name}`, {
        details: { id, network: net.name },
      });
    }
    const endpoint: EndpointSettings = {
      ...(opts.aliases?.length && { aliases: [...opts.aliases] }),
      ...(opts.ip && { ipamConfig: { ipv4Address: opts.ip } }),
    };
    if (mode === 'none') {
      if (info.state.running || Object.keys(endpoints).length > 0) {
        throw failedPrecondition(`container ${info.name} runs with network none: it cannot join ${net.name}`, {
          details: { id, network: net.name },
        });
      }
      info = { ...info, hostConfig: { ...info.hostConfig, networkMode: net.name } };
    } else if (info.state.running) {
      if (left && Object.keys(endpoints).length === 0) {
        info = { ...info, hostConfig: { ...info.hostConfig, networkMode: net.name } };
      }
      await c.o.networks.connect(id, net.name, {
        name: info.name,
        ...(opts.aliases?.length && { aliases: opts.aliases }),
        ...(opts.ip && { ip: opts.ip }),
        ...(opts.signal && { signal: opts.signal }),
      });
    }
    endpoints[net.name] = endpoint;
    const updated = withEndpoints(info, endpoints);
    c.o.store.update(updated);
    c.publish('connect', updated, { network: net.name });
  });
}

/**
 * `network disconnect`: drops the endpoint now (when running) and from the
 * configuration. Leaving the mode's own network makes the first remaining
 * network the mode; when there is none, a running container keeps its mode
 * (as in Docker: `network connect` of the same network joins it again, and
 * the next start does too) and a stopped one gets `none`.
 */
export async function disconnectNetwork(
  c: ControlContext,
  ref: string,
  network: string,
  opts: CallOptions = {},
): Promise<void> {
  const net = await c.o.networks.get(network, opts);
  const { id } = c.resolve(ref);
  await c.lock.run(id, async () => {
    let info = c.resolve(id);
    const mode = primaryOf(info);
    const endpoints = endpointsOf(info);
    if (mode !== net.name && endpoints[net.name] === undefined) {
      throw failedPrecondition(`container ${info.name} is not connected to network ${net.name}`, {
        details: { id, network: net.name },
      });
    }
    if (sharedMode(mode) || mode === 'none') {
      throw failedPrecondition(`container ${info.name} cannot be disconnected from network ${mode}`, {
        details: { id, network: net.name },
      });
    }
    if (info.state.running) await c.o.networks.disconnect(id, net.name, opts);
    delete endpoints[net.name];
    const remaining = Object.keys(endpoints);
    if (mode === net.name && (remaining.length > 0 || !info.state.running)) {
      const next = remaining[0] ?? 'none';
      info = { ...info, hostConfig: { ...info.hostConfig, networkMode: next } };
    }
    const updated = withEndpoints(info, endpoints);
    c.o.store.update(updated);
    c.publish('disconnect', updated, { network: net.name });
  });
}
