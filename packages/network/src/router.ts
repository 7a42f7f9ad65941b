import { alreadyExists, errorCode, failedPrecondition, invalidArgument, isNotFound, notFound } from '@tscr/api';
import type {
  AttachOptions,
  CallOptions,
  ConnectOptions,
  CreateNetworkOptions,
  Endpoint,
  GetNetworkOptions,
  Network,
  NetworkAttachment,
  NetworkService,
} from './types.js';

/** The drivers the daemon's own network layer serves. */
const OWN_DRIVERS = new Set(['', 'bridge', 'host', 'null']);
/** Network modes that always mean the daemon's own networks. */
const OWN_MODES = new Set(['', 'none', 'host', 'bridge', 'default']);

/** Options of {@link NetworkRouter}. */
export interface NetworkRouterOptions {
  /** The daemon's own layer: the predefined networks and `bridge` networks. Required. */
  local: NetworkService;
  /**
   * Further network drivers by name, each a whole {@link NetworkService} of its own (typically a
   * `GrpcNetworkService` reaching a process that serves the network layer: `tscrd --network-driver NAME=ADDRESS`).
   * Networks they create carry the driver's name; their predefined networks are not shown.
   */
  drivers?: Record<string, NetworkService>;
  /**
   * The service for every other driver name (Docker network plugins): `create` passes `driver` on, and it
   * raises NotFound for a driver nobody serves. Without it such names go to `local` (Unimplemented).
   */
  plugins?: NetworkService;
  /** Where drivers that do not answer a listing are reported; default `console.error`. */
  logger?: (message: string) => void;
}

interface Route {
  /** '' for the local layer, a driver name, or '*' for plugins. */
  driver: string;
  svc: NetworkService;
}

/**
 * A {@link NetworkService} over several network drivers, as the volume router is over volume drivers:
 * `create` goes to the driver it names, everything about an existing network to the driver that holds
 * it, and everything about a container to the driver that set it up. A container's endpoints all come
 * from one driver (the one of its primary network).
 */
export class NetworkRouter implements NetworkService {
  private readonly routes: Route[];
  private readonly named: ReadonlyMap<string, NetworkService>;
  private readonly logger: (message: string) => void;
  /** containerId → the route that attached it (rebuilt on demand after a restart). */
  private readonly owners = new Map<string, Route>();

  /** @throws InvalidArgument for a driver name the daemon keeps for itself. */
  constructor(opts: NetworkRouterOptions) {
    this.logger = opts.logger ?? ((m) => console.error(m));
    this.routes = [{ driver: '', svc: opts.local }];
    for (const [driver, svc] of Object.entries(opts.drivers ?? {})) {
      if (OWN_DRIVERS.has(driver) || driver === 'default')
        throw invalidArgument(`network driver name ${JSON.stringify(driver)} is reserved`);
      this.routes.push({ driver, svc });
    }
    this.named = new Map(Object.entries(opts.drivers ?? {}));
    if (opts.plugins) this.routes.push({ driver: '*', svc: opts.plugins });
  }

  async list(opts?: CallOptions): Promise<Network[]> {
    const out: Network[] = [];
    for (const r of this.routes) {
      try {
        out.push(...this.shown(r, await r.svc.list(opts)));
      } catch (err) {
        if (r.driver === '' || !unreachable(err)) throw err;
        this.logger(`network driver ${r.driver}: not listed: ${(err as Error).message}`);
      }
    }
    return out;
  }

  async get(name: string, opts?: GetNetworkOptions): Promise<Network> {
    const found = await this.find(name, opts);
    if (!found) throw notFound(`network ${name} not found`, { details: { network: name } });
    return found.network;
  }

  async create(name: string, opts: CreateNetworkOptions = {}): Promise<Network> {
    const driver = opts.driver ?? '';
    if (await this.find(name, opts).catch(() => undefined)) {
      throw alreadyExists(`network with name ${name} already exists`, { details: { network: name } });
    }
    if (OWN_DRIVERS.has(driver)) return this.routes[0]!.svc.create(name, opts);
    const svc = this.named.get(driver);
    if (svc) {
      const rest: CreateNetworkOptions = { ...opts };
      delete rest.driver;
      return { ...(await svc.create(name, rest)), driver };
    }
    // Without a plugin service the daemon's own layer refuses the name (Unimplemented), as it always has.
    const plugins = this.routes.find((r) => r.driver === '*') ?? this.routes[0]!;
    return plugins.svc.create(name, opts);
  }

  async remove(name: string, opts?: CallOptions): Promise<void> {
    const found = await this.find(name, opts);
    if (!found) throw notFound(`network ${name} not found`, { details: { network: name } });
    await found.route.svc.remove(found.network.id, opts);
  }

  async prune(opts?: CallOptions): Promise<string[]> {
    const out: string[] = [];
    for (const r of this.routes) out.push(...(await r.svc.prune(opts)));
    return out;
  }

  async attach(containerId: string, networkMode: string, opts: AttachOptions = {}): Promise<NetworkAttachment> {
    const mode = networkMode.trim();
    let route = this.routes[0]!;
    if (mode.startsWith('container:')) {
      route = (await this.ownerOf(mode.slice('container:'.length), opts)) ?? route;
    } else {
      if (!OWN_MODES.has(mode)) {
        const primary = await this.find(mode, opts);
        if (!primary) throw notFound(`network ${mode} not found`, { details: { network: mode } });
        route = primary.route;
      }
      for (const e of opts.endpoints ?? []) {
        const other = OWN_MODES.has(e.network) ? undefined : await this.find(e.network, opts);
        if (other && other.route !== route) {
          throw invalidArgument(
            `container cannot be connected to network ${other.network.name} (driver ${other.network.driver}) as well as to network ${mode || 'default'}: one driver per container`,
          );
        }
      }
    }
    const a = await route.svc.attach(containerId, networkMode, opts);
    this.owners.set(containerId, route);
    return a;
  }

  async detach(containerId: string, opts?: CallOptions): Promise<void> {
    const route = this.owners.get(containerId) ?? (await this.ownerOf(containerId, opts));
    this.owners.delete(containerId);
    await (route ?? this.routes[0]!).svc.detach(containerId, opts);
  }

  async connect(containerId: string, network: string, opts: ConnectOptions = {}): Promise<Endpoint> {
    const target = await this.find(network, opts);
    if (!target) throw notFound(`network ${network} not found`, { details: { network } });
    const owner = this.owners.get(containerId) ?? (await this.ownerOf(containerId, opts));
    if (owner && owner !== target.route) {
      throw failedPrecondition(
        `container ${containerId} has its network namespace from another driver than ${target.network.driver} (network ${target.network.name})`,
        { details: { id: containerId, network: target.network.name } },
      );
    }
    return target.route.svc.connect(containerId, target.network.id, opts);
  }

  async disconnect(containerId: string, network: string, opts?: CallOptions): Promise<void> {
    const target = await this.find(network, opts);
    if (!target) throw notFound(`network ${network} not found`, { details: { network } });
    await target.route.svc.disconnect(containerId, target.network.id, opts);
  }

  async attachment(containerId: string, opts?: CallOptions): Promise<NetworkAttachment | undefined> {
    const route = this.owners.get(containerId) ?? (await this.ownerOf(containerId, opts));
    return route?.svc.attachment(containerId, opts);
  }

  /** Networks of a route as the router shows them: a named driver's own predefined networks are hidden. */
  private shown(r: Route, nets: Network[]): Network[] {
    if (r.driver === '' || r.driver === '*') return nets;
    return nets.filter((n) => !n.builtin).map((n) => ({ ...n, driver: r.driver }));
  }

  /** The network and its route, by name or ID; drivers that do not answer are skipped. */
  private async find(name: string, opts?: CallOptions): Promise<{ route: Route; network: Network } | undefined> {
    for (const r of this.routes) {
      try {
        const [network] = this.shown(r, [await r.svc.get(name, opts)]);
        if (network) return { route: r, network };
      } catch (err) {
        if (isNotFound(err) || (r.driver !== '' && unreachable(err))) continue;
        throw err;
      }
    }
    return undefined;
  }

  /** The route that set up a container's network, asking each driver (after a daemon restart). */
  private async ownerOf(containerId: string, opts?: CallOptions): Promise<Route | undefined> {
    for (const r of this.routes) {
      const a = await r.svc.attachment(containerId, opts).catch(() => undefined);
      if (a) {
        this.owners.set(containerId, r);
        return r;
      }
    }
    return undefined;
  }
}

function unreachable(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'Unavailable' || code === 'DeadlineExceeded';
}
