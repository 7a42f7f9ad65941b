/** What network and IPAM plugins say about themselves (`GetCapabilities`), and the driver data of an endpoint. */
import { errorCode, failedPrecondition } from '@tscr/api';
import type { CallOptions } from '../types.js';
import type {
  EndpointOperInfoResponse,
  IpamCapabilitiesResponse,
  NetworkCapabilitiesResponse,
  PluginCallOptions,
  PluginTransport,
} from './remote-api.js';

/** A network driver's scopes. tscr keeps everything on this host either way (there is no cluster store). */
export interface NetworkCapabilities {
  /** Where the driver's networks live: `local`, or `global` (dockerd shows it as the network's `Scope`). */
  scope: 'local' | 'global';
  /** How far its networks reach: `local` or `global`. */
  connectivityScope: 'local' | 'global';
}

/** An IPAM driver's needs. */
export interface IpamCapabilities {
  requiresMacAddress: boolean;
  requiresRequestReplay: boolean;
}

const SCOPES = new Set(['local', 'global']);

/** Whether an error means "the plugin does not have this method" (optional calls). */
export function notImplemented(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'Unimplemented' || code === 'NotFound';
}

/** Calls an optional method; a plugin without it is fine. */
export async function optionalCall(
  plugin: PluginTransport,
  method: string,
  body: unknown,
  opts?: PluginCallOptions,
): Promise<unknown> {
  try {
    return await plugin.call(method, body, opts);
  } catch (err) {
    if (notImplemented(err)) return undefined;
    throw err;
  }
}

/**
 * Reads a `NetworkDriver.GetCapabilities` answer as dockerd's remote driver does: `Scope` must be `local` or
 * `global`, `ConnectivityScope` empty (then it is `Scope`), `local` or `global`. A plugin without the method
 * (404) is taken as local.
 * @throws FailedPrecondition for any other value (dockerd refuses such a driver).
 */
export async function networkCapabilities(plugin: PluginTransport, opts?: CallOptions): Promise<NetworkCapabilities> {
  const r = (await optionalCall(plugin, 'NetworkDriver.GetCapabilities', {}, opts)) as
    | NetworkCapabilitiesResponse
    | undefined;
  if (r === undefined) return { scope: 'local', connectivityScope: 'local' };
  const scope = r?.Scope;
  const reach = r?.ConnectivityScope || scope;
  if (typeof scope !== 'string' || !SCOPES.has(scope) || typeof reach !== 'string' || !SCOPES.has(reach)) {
    throw failedPrecondition(
      `network plugin ${plugin.name}: invalid capability: GetCapabilities answered Scope ${JSON.stringify(scope)} and ConnectivityScope ${JSON.stringify(r?.ConnectivityScope)} (expected "local" or "global")`,
      { details: { driver: plugin.name } },
    );
  }
  return { scope: scope as 'local' | 'global', connectivityScope: reach as 'local' | 'global' };
}

/** Reads `IpamDriver.GetCapabilities`; a plugin without the method (404) needs nothing. */
export async function ipamCapabilities(plugin: PluginTransport, opts?: PluginCallOptions): Promise<IpamCapabilities> {
  const r = (await optionalCall(plugin, 'IpamDriver.GetCapabilities', {}, opts)) as
    | IpamCapabilitiesResponse
    | undefined;
  return {
    requiresMacAddress: r?.RequiresMACAddress === true,
    requiresRequestReplay: r?.RequiresRequestReplay === true,
  };
}

/** EndpointOperInfo is asked for while showing something: one attempt, a short limit. */
const OPER_INFO_CALL: PluginCallOptions = { retry: false, timeoutMs: 5_000 };

/**
 * The driver's data about one endpoint (`NetworkDriver.EndpointOperInfo` → `Value`), values of other types than
 * string as JSON. Best effort: undefined when the plugin lacks the method, answers nothing, or fails (logged).
 */
export async function endpointOperInfo(
  plugin: PluginTransport,
  ids: { NetworkID: string; EndpointID: string },
  logger: (message: string) => void,
  opts?: CallOptions,
): Promise<Record<string, string> | undefined> {
  try {
    const r = (await optionalCall(plugin, 'NetworkDriver.EndpointOperInfo', ids, {
      ...OPER_INFO_CALL,
      ...(opts?.signal && { signal: opts.signal }),
    })) as EndpointOperInfoResponse | undefined;
    const value = r?.Value;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return Object.keys(out).length > 0 ? out : undefined;
  } catch (err) {
    logger(
      `network plugin ${plugin.name}: EndpointOperInfo of endpoint ${ids.EndpointID.slice(0, 12)}: ${(err as Error).message}`,
    );
    return undefined;
  }
}
