/** Networks: list, inspect, create, remove, connect, disconnect, prune. */
import { invalidArgument } from '@tscr/api';
import type { CreateNetworkOptions, Network } from '@tscr/network';
import { isNeutral } from '../convert/create.js';
import { networkJson } from '../convert/networks.js';
import { about, unsupportedOption } from '../errors.js';
import { type Ctx, checkFilterKeys, filtersParam, readJsonObject, sendEmpty, sendJson } from '../http.js';
import { method } from '../optional.js';
import { containerId } from './lookup.js';
import { type Route, route } from './route.js';

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  return eq < 0 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

async function list(ctx: Ctx): Promise<void> {
  const f = filtersParam(ctx.query);
  checkFilterKeys(f, ['name', 'id', 'label', 'driver', 'type', 'scope', 'dangling']);
  const any = (key: string, pred: (v: string) => boolean) => {
    const values = f.get(key);
    return !values || values.length === 0 || values.some(pred);
  };
  const nets = (await ctx.backends.networks.list({ signal: ctx.signal })).filter(
    (n: Network) =>
      any('name', (v) => n.name.includes(v)) &&
      any('id', (v) => n.id.startsWith(v)) &&
      any('driver', (v) => n.driver === v) &&
      any('scope', (v) => v === 'local') &&
      any('type', (v) => (v === 'builtin') === n.builtin) &&
      any('dangling', (v) => (v === 'true' || v === '1') === (Object.keys(n.containers ?? {}).length === 0)) &&
      (f.get('label') ?? []).every((l) => labelMatches(n.labels, l)),
  );
  sendJson(ctx, 200, nets.map(networkJson));
}

async function inspect(ctx: Ctx): Promise<void> {
  const id = ctx.params.id ?? '';
  const n = await about('network', id, () => ctx.backends.networks.get(id, { signal: ctx.signal, driverInfo: true }));
  sendJson(ctx, 200, networkJson(n));
}

async function create(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx);
  const name = body.Name;
  if (typeof name !== 'string' || !name) throw invalidArgument('network name is required (Name)');
  const opts: CreateNetworkOptions = { signal: ctx.signal };
  for (const [key, value] of Object.entries(body)) {
    switch (key) {
      case 'Name':
      case 'CheckDuplicate':
      // Swarm's: every local network can have containers attached.
      case 'Attachable':
        break;
      case 'Driver':
        if (value) opts.driver = String(value);
        break;
      case 'Internal':
        if (value === true) opts.internal = true;
        break;
      case 'Labels':
        if (value) opts.labels = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, String(v)]));
        break;
      case 'Options':
        if (value) opts.options = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, String(v)]));
        break;
      case 'IPAM': {
        const ipam = (value ?? {}) as { Driver?: string; Config?: Record<string, string>[]; Options?: object };
        if (ipam.Driver && ipam.Driver !== 'default') opts.ipamDriver = String(ipam.Driver);
        if (ipam.Options && typeof ipam.Options === 'object')
          opts.ipamOptions = Object.fromEntries(Object.entries(ipam.Options).map(([k, v]) => [k, String(v)]));
        const configs = ipam.Config ?? [];
        if (configs.length > 1) throw unsupportedOption('IPAM.Config (more than one pool)');
        const c = configs[0];
        if (c) {
          for (const k of Object.keys(c))
            if (!['Subnet', 'Gateway', 'IPRange'].includes(k) && !isNeutral(c[k]))
              throw unsupportedOption(`IPAM.Config.${k}`);
          if (c.Subnet) opts.subnet = c.Subnet;
          if (c.Gateway) opts.gateway = c.Gateway;
          if (c.IPRange) opts.ipRange = c.IPRange;
        }
        break;
      }
      default:
        if (!isNeutral(value) && !(key === 'Scope' && value === 'local')) throw unsupportedOption(key);
    }
  }
  const n = await ctx.backends.networks.create(name, opts);
  sendJson(ctx, 201, { Id: n.id, Warning: '' });
}

async function remove(ctx: Ctx): Promise<void> {
  const id = ctx.params.id ?? '';
  await about('network', id, () => ctx.backends.networks.remove(id, { signal: ctx.signal }));
  sendEmpty(ctx, 204);
}

async function connect(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx);
  const net = ctx.params.id ?? '';
  await about('network', net, () => ctx.backends.networks.get(net, { signal: ctx.signal }));
  const id = await containerId({ ...ctx, params: { id: String(body.Container ?? '') } });
  const ep = (body.EndpointConfig ?? {}) as { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string } };
  await ctx.backends.containers.connectNetwork(id, net, {
    ...(ep.Aliases?.length ? { aliases: ep.Aliases } : {}),
    ...(ep.IPAMConfig?.IPv4Address ? { ip: ep.IPAMConfig.IPv4Address } : {}),
    signal: ctx.signal,
  });
  sendEmpty(ctx, 200);
}

async function disconnect(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx);
  const net = ctx.params.id ?? '';
  await about('network', net, () => ctx.backends.networks.get(net, { signal: ctx.signal }));
  const id = await containerId({ ...ctx, params: { id: String(body.Container ?? '') } });
  await ctx.backends.containers.disconnectNetwork(id, net, { signal: ctx.signal });
  sendEmpty(ctx, 200);
}

async function prune(ctx: Ctx): Promise<void> {
  const f = filtersParam(ctx.query);
  checkFilterKeys(f, []);
  const names = (await method(
    ctx.backends.networks,
    'prune',
    'POST /networks/prune',
  )({ signal: ctx.signal })) as string[];
  sendJson(ctx, 200, { NetworksDeleted: names });
}

export const networkRoutes: Route[] = [
  route('GET', '/networks', list),
  route('POST', '/networks/create', create),
  route('POST', '/networks/prune', prune),
  route('GET', '/networks/:id', inspect),
  route('DELETE', '/networks/:id', remove),
  route('POST', '/networks/:id/connect', connect),
  route('POST', '/networks/:id/disconnect', disconnect),
];
