import type { ContainerInfo } from '@tscr/api';
import type { NetworkService } from '@tscr/network';
import { DEFAULT_NETWORK_MODE } from './networking.js';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * After a daemon restart, makes a running container's live endpoints match
 * its configuration, which is the truth: a `network connect` or
 * `disconnect` cut by a crash between the network layer and the record is
 * rolled back to what the record says (an endpoint the record lacks is
 * removed; one it names but that is missing is made again).
 */
export async function reconcileEndpoints(
  networks: Pick<NetworkService, 'attachment' | 'connect' | 'disconnect'>,
  info: ContainerInfo,
  log: (message: string) => void,
): Promise<void> {
  const raw = info.hostConfig.networkMode ?? '';
  const mode = raw === '' || raw === 'default' ? DEFAULT_NETWORK_MODE : raw;
  if (mode === 'none' || mode === 'host' || mode.startsWith('container:')) return;
  const attachment = await networks.attachment(info.id).catch(() => undefined);
  if (attachment?.mode !== 'path') return;
  const configured = info.networkSettings?.networks ?? {};
  const wanted = new Set([mode, ...Object.keys(configured)]);
  const live = new Set(attachment.endpoints.map((e) => e.networkName));
  for (const net of live) {
    if (wanted.has(net)) continue;
    log(`container ${info.id}: endpoint on ${net} is not in its configuration (a cut connect): removed`);
    await networks.disconnect(info.id, net).catch((e: unknown) => log(`disconnect ${info.id} ${net}: ${messageOf(e)}`));
  }
  for (const net of wanted) {
    if (live.has(net)) continue;
    const e = configured[net] ?? {};
    log(`container ${info.id}: endpoint on ${net} is configured but missing (a cut disconnect): made again`);
    await networks
      .connect(info.id, net, {
        name: info.name,
        ...(e.aliases?.length && { aliases: e.aliases }),
        ...(e.ipamConfig?.ipv4Address && { ip: e.ipamConfig.ipv4Address }),
      })
      .catch((err: unknown) => log(`connect ${info.id} ${net}: ${messageOf(err)}`));
  }
}
