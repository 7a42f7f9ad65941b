import { type CallOptions, failedPrecondition, invalidArgument, isTscrError, notFound } from '@tscr/api';
import { isValidPluginName } from '../errors.js';
import type {
  ListPluginsOptions,
  Plugin,
  PluginDirs,
  PluginInfo,
  PluginInspector,
  PluginKind,
  PluginRegistryOptions,
} from '../types.js';
import { findPlugin, scanPluginNames } from './discovery.js';
import { pluginDirs } from './dirs.js';
import { PluginClient, type PluginClientTiming } from './plugin-client.js';

/** Default time limit of `plugin ls` / `inspect` probes, ms. */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * The plugins of one daemon: finds them on demand in the plugin directories (dockerd's, plus tscr's own), keeps
 * one activated client per name, and says what each one is. Nothing runs until a method is called.
 */
export class PluginRegistry implements PluginInspector {
  readonly #dirs: PluginDirs;
  readonly #timing: PluginClientTiming;
  readonly #clients = new Map<string, PluginClient>();

  constructor(opts: PluginRegistryOptions = {}) {
    this.#dirs = pluginDirs(opts.dirs, opts.extraDirs);
    this.#timing = {
      timeoutMs: opts.timeoutMs ?? 60_000,
      retryMs: opts.retryMs ?? 30_000,
      retryBaseMs: opts.retryBaseMs ?? 1_000,
    };
  }

  /** The directories searched, in order. */
  get dirs(): PluginDirs {
    return { sockets: [...this.#dirs.sockets], specs: [...this.#dirs.specs] };
  }

  /**
   * Finds (discovering on demand) and activates plugin `name`.
   * @throws InvalidArgument (a name with path parts); NotFound (no socket or spec file names it);
   * FailedPrecondition (it does not implement `kind`, or its spec file is broken); Unavailable / DeadlineExceeded
   * (it does not answer `Plugin.Activate` within the retry budget).
   */
  async get(name: string, kind: PluginKind, opts: CallOptions = {}): Promise<Plugin> {
    const client = await this.#client(name);
    await client.activate(opts);
    if (!client.implements.includes(kind))
      throw failedPrecondition(
        `plugin ${name} does not implement ${kind} (it implements: ${client.implements.join(', ') || 'nothing'})`,
        {
          details: { plugin: name, kind },
        },
      );
    return client;
  }

  async list(opts: ListPluginsOptions = {}): Promise<PluginInfo[]> {
    const names = await scanPluginNames(this.#dirs);
    const infos = await Promise.all(names.map((n) => this.#probe(n, opts)));
    return infos.filter((i): i is PluginInfo => i !== undefined && (!opts.kind || i.implements.includes(opts.kind)));
  }

  async inspect(name: string, opts: CallOptions = {}): Promise<PluginInfo> {
    checkName(name);
    const info = await this.#probe(name, opts);
    if (!info) throw notFound(`plugin "${name}" not found`, { details: { plugin: name } });
    return info;
  }

  async #client(name: string): Promise<PluginClient> {
    checkName(name);
    const known = this.#clients.get(name);
    if (known?.active) return known;
    // Not active (new, or lost): look again, so a removed plugin is NotFound rather than a 30 s retry.
    const loc = await findPlugin(name, this.#dirs);
    if (!loc) {
      this.#clients.delete(name);
      throw notFound(
        `plugin "${name}" not found (looked in ${[...new Set([...this.#dirs.sockets, ...this.#dirs.specs])].join(', ')})`,
        {
          details: { plugin: name },
        },
      );
    }
    if (known) return known;
    const client = new PluginClient(loc, this.#timing, () => findPlugin(name, this.#dirs));
    this.#clients.set(name, client);
    return client;
  }

  async #probe(name: string, opts: ListPluginsOptions): Promise<PluginInfo | undefined> {
    let client: PluginClient;
    try {
      client = await this.#client(name);
    } catch (err) {
      if (isTscrError(err) && err.code === 'NotFound') return undefined;
      return { name, address: '', source: '', implements: [], healthy: false, error: (err as Error).message };
    }
    const info = (error?: string): PluginInfo => ({
      name,
      address: client.address,
      source: client.source,
      implements: error ? [] : [...client.implements],
      healthy: !error,
      ...(error ? { error } : {}),
    });
    try {
      // A probe asks again even when active, so `ls` says whether it answers now.
      await client.probe({ ...opts, timeoutMs: opts.timeoutMs ?? PROBE_TIMEOUT_MS });
      return info();
    } catch (err) {
      return info((err as Error).message);
    }
  }
}

function checkName(name: string): void {
  if (!isValidPluginName(name)) throw invalidArgument(`invalid plugin name "${name}"`, { details: { plugin: name } });
}

/** A {@link PluginRegistry} (the factory form). */
export function createPluginRegistry(opts?: PluginRegistryOptions): PluginRegistry {
  return new PluginRegistry(opts);
}
