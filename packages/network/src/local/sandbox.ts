import { writeFile } from 'node:fs/promises';
import { internal } from '@tscr/api';
import { ipBatch, run } from './exec.js';
import { parseIp } from './ipam.js';
import type { StaticRoute } from './remote-api.js';

/** Linux interface names: 1-15 characters, no slash, colon or whitespace. */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

function isIp(text: string): boolean {
  try {
    parseIp(text);
    return true;
  } catch {
    return false;
  }
}

/** Makes an empty persistent network namespace at `path` (a bind mount made by `unshare --net=path`), loopback up. */
export async function createSandbox(path: string): Promise<void> {
  await writeFile(path, '', { mode: 0o444 });
  await run('unshare', [`--net=${path}`, 'ip', 'link', 'set', 'lo', 'up']);
}

/** How a driver's interface is to look inside the container. */
export interface SandboxInterface {
  /** The host interface the driver made (Join's `InterfaceName.SrcName`). */
  srcName: string;
  /** Its name inside the container. */
  ifname: string;
  /** `a.b.c.d/n`. */
  address: string;
  mac?: string;
  /** Default route via this address, when given. */
  gateway?: string;
  routes: StaticRoute[];
}

/** Checks what a plugin answered before any of it reaches `ip`. @throws Internal (a plugin answering garbage). */
export function checkSandboxInterface(i: SandboxInterface): void {
  const bad = (what: string, v: unknown) =>
    internal(`network driver answered an invalid ${what}: ${JSON.stringify(v)}`, {
      details: { [what]: String(v) },
    });
  if (!IFNAME.test(i.srcName)) throw bad('interface name', i.srcName);
  if (!IFNAME.test(i.ifname)) throw bad('interface prefix', i.ifname);
  if (i.mac && !MAC.test(i.mac)) throw bad('MAC address', i.mac);
  if (i.gateway && !isIp(i.gateway)) throw bad('gateway', i.gateway);
  for (const r of i.routes) {
    const [dst = '', bits] = String(r?.Destination).split('/');
    if (!isIp(dst) || (bits !== undefined && !/^\d{1,2}$/.test(bits))) throw bad('route destination', r?.Destination);
    if (r.RouteType === 0 ? !isIp(String(r.NextHop ?? '')) : r.RouteType !== 1) throw bad('route', r);
  }
}

/**
 * Moves the driver's host interface into the namespace at `path`, renames it, and sets its address, MAC,
 * static routes and default route. @throws Internal when `ip` fails (the interface may then be either side).
 */
export async function moveIntoSandbox(path: string, i: SandboxInterface): Promise<void> {
  checkSandboxInterface(i);
  await run('ip', ['link', 'set', 'dev', i.srcName, 'netns', path]);
  const lines = [`link set ${i.srcName} down`, `link set ${i.srcName} name ${i.ifname}`];
  if (i.mac) lines.push(`link set ${i.ifname} address ${i.mac}`);
  lines.push(`addr add ${i.address} dev ${i.ifname}`, `link set ${i.ifname} up`);
  for (const r of i.routes) {
    lines.push(
      r.RouteType === 0
        ? `route replace ${r.Destination} via ${r.NextHop} dev ${i.ifname} onlink`
        : `route replace ${r.Destination} dev ${i.ifname}`,
    );
  }
  if (i.gateway) lines.push(`route replace default via ${i.gateway} dev ${i.ifname} onlink`);
  await run('nsenter', [`--net=${path}`, 'ip', '-batch', '-'], `${lines.join('\n')}\n`);
}

/** Deletes a host interface when it is (still) there; for a driver's veth that never reached the container. */
export async function deleteHostInterface(name: string): Promise<void> {
  if (!IFNAME.test(name)) return;
  await ipBatch([`link del ${name}`], { force: true }).catch(() => undefined);
}
