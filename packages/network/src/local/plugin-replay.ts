import type { IpamAllocator } from './ipam-allocator.js';
import type { PluginNetworkRecord, PluginNetworkState } from './plugin-state.js';
import type { PluginCallOptions } from './remote-api.js';

/** Calls made while the daemon starts: one attempt each, a short limit. */
const REPLAY_CALL: PluginCallOptions = { retry: false, timeoutMs: 10_000 };

/**
 * After a daemon restart, asks an IPAM plugin that says `RequiresRequestReplay` again for what it gave out, as
 * dockerd does: each network's pool (the same subnet and range; a new PoolID replaces the kept one), its gateway,
 * and the address of each endpoint still on it (with the endpoint's MAC when the plugin requires MACs). Failures
 * are logged and the rest goes on. Returns whether a record changed (to be saved).
 */
export async function replayIpamRequests(
  state: PluginNetworkState,
  ipamOf: (net: PluginNetworkRecord) => Promise<IpamAllocator | undefined>,
  logger: (message: string) => void,
): Promise<boolean> {
  let changed = false;
  for (const net of state.networks) {
    const fail = (what: string) => (e: unknown) =>
      logger(`network ${net.name}: replaying ${what} to IPAM plugin ${net.ipamDriver}: ${(e as Error).message}`);
    const ipam = await ipamOf(net).catch(fail('requests'));
    if (!ipam || !(await ipam.requiresRequestReplay?.(REPLAY_CALL).catch(fail('requests')))) continue;
    const pool = await ipam
      .requestPool(
        { pool: net.pool.pool, ...(net.ipRange && { subPool: net.ipRange }), options: { ...net.ipamOptions } },
        REPLAY_CALL,
      )
      .catch(fail('its pool'));
    if (!pool) continue;
    if (pool.poolId !== net.pool.poolId) {
      net.pool = { ...net.pool, poolId: pool.poolId };
      changed = true;
    }
    const gateway = net.gateway.split('/')[0] ?? '';
    await ipam.requestAddress(pool.poolId, { gateway: true, address: gateway }, REPLAY_CALL).catch(fail('the gateway'));
    const withMac = await ipam.requiresMacAddress?.(REPLAY_CALL).catch(() => false);
    for (const a of Object.values(state.attachments)) {
      for (const ep of a.endpoints.filter((e) => e.networkId === net.id)) {
        const address = ep.address.split('/')[0] ?? '';
        await ipam
          .requestAddress(pool.poolId, { address, ...(withMac && ep.mac && { mac: ep.mac }) }, REPLAY_CALL)
          .catch(fail(`address ${address}`));
      }
    }
  }
  return changed;
}
