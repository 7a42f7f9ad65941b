import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ipBatch, run } from './exec.js';
import { type Cidr, parseCidr } from './ipam.js';
import type { EndpointRecord, NetworkRecord } from './state.js';

/** Host interface names of one prefix (all at most 15 characters). */
export function bridgeName(prefix: string, networkId: string, isDefault: boolean): string {
  return isDefault ? `${prefix}0` : `${prefix}-${networkId.slice(0, 8)}`;
}

/** Whether a host interface belongs to this prefix: `PREFIX0`, `PREFIX-…` bridges, `vPREFIX…` veths. */
export function ownsInterface(prefix: string, name: string): 'bridge' | 'veth' | undefined {
  if (name === `${prefix}0` || (name.startsWith(`${prefix}-`) && name.length === prefix.length + 9)) return 'bridge';
  if (name.startsWith(`v${prefix}`) && name.length === prefix.length + 9) return 'veth';
  return undefined;
}

/** `sysctl -w` without a process. Errors are ignored (read-only /proc in odd setups). */
export function sysctl(key: string, value: string): void {
  try {
    const path = `/proc/sys/${key.replace(/\./g, '/')}`;
    if (readFileSync(path, 'utf8').trim() !== value) writeFileSync(path, value);
  } catch {
    // best effort
  }
}

/** Creates (or repairs) a bridge with its gateway address, up. */
export async function ensureBridge(n: NetworkRecord): Promise<void> {
  const bits = parseCidr(n.subnet).bits;
  await ipBatch(
    [
      `link add name ${n.bridge} type bridge`,
      `addr replace ${n.gateway}/${bits} dev ${n.bridge}`,
      `link set ${n.bridge} up`,
    ],
    { force: true },
  ).catch(() => undefined); // `link add` fails when the bridge exists; -force runs the rest anyway
  await run('ip', ['link', 'show', n.bridge]);
  sysctl(`net.ipv4.conf.${n.bridge}.route_localnet`, '1');
}

/** Deletes host interfaces; missing ones are fine. */
export async function deleteLinks(names: string[]): Promise<void> {
  if (names.length === 0) return;
  await ipBatch(
    names.map((n) => `link del ${n}`),
    { force: true },
  ).catch(() => undefined);
}

/** Host interfaces: name → kind (`bridge`, `veth`, …). */
export async function listLinks(): Promise<Map<string, string>> {
  const { stdout } = await run('ip', ['-j', '-d', 'link', 'show']);
  const out = new Map<string, string>();
  for (const l of JSON.parse(stdout) as Array<{ ifname: string; linkinfo?: { info_kind?: string } }>) {
    out.set(l.ifname, l.linkinfo?.info_kind ?? '');
  }
  return out;
}

/** Destinations of the host's IPv4 routes, except those through `ignore` interfaces. */
export async function hostRoutes(ignore: Set<string>): Promise<Cidr[]> {
  const { stdout } = await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']);
  const out: Cidr[] = [];
  for (const r of JSON.parse(stdout) as Array<{ dst: string; dev?: string; type?: string }>) {
    if (!r.dst || r.dst === 'default' || (r.dev && ignore.has(r.dev))) continue;
    if (r.type && r.type !== 'unicast') continue;
    try {
      const dst = r.dst.includes('/') ? r.dst : `${r.dst}/32`;
      out.push(parseCidr(dst));
    } catch {
      // a host route with host bits: not a subnet we could collide with by prefix
    }
  }
  return out;
}

/** The `ip` lines that create one endpoint from inside the container's namespace. */
function endpointLines(ep: EndpointRecord, bits: number, hostNs: string): string[] {
  return [
    `link add ${ep.ifname} address ${ep.mac} type veth peer name ${ep.hostIf} netns ${hostNs}`,
    `addr add ${ep.ip}/${bits} dev ${ep.ifname}`,
    `link set ${ep.ifname} up`,
  ];
}

/** What {@link createNamespace} and {@link addEndpoints} wire. */
export interface WiredEndpoint {
  ep: EndpointRecord;
  net: NetworkRecord;
}

/**
 * Makes a persistent network namespace at `path` (a bind mount of the new
 * namespace, made by `unshare --net=path`) and, in the same process, its
 * loopback, interfaces, addresses and default route; then enslaves the host
 * ends to their bridges. Two processes in all.
 */
export async function createNamespace(path: string, eps: WiredEndpoint[], hostPid: number): Promise<void> {
  await writeFile(path, '', { mode: 0o444 });
  const hostNs = `/proc/${hostPid}/ns/net`;
  const lines = ['link set lo up'];
  for (const { ep, net } of eps) lines.push(...endpointLines(ep, parseCidr(net.subnet).bits, hostNs));
  const routed = eps.find((e) => !e.net.internal);
  if (routed) lines.push(`route add default via ${routed.net.gateway} dev ${routed.ep.ifname} onlink`);
  await run('unshare', [`--net=${path}`, 'ip', '-batch', '-'], `${lines.join('\n')}\n`);
  if (eps.length > 0) await ipBatch(eps.map(({ ep, net }) => `link set ${ep.hostIf} master ${net.bridge} up`));
}

/** Adds interfaces to an existing namespace (connect to a running container). */
export async function addEndpoints(path: string, eps: WiredEndpoint[], hostPid: number, route: boolean): Promise<void> {
  const hostNs = `/proc/${hostPid}/ns/net`;
  const lines: string[] = [];
  for (const { ep, net } of eps) lines.push(...endpointLines(ep, parseCidr(net.subnet).bits, hostNs));
  const routed = eps.find((e) => !e.net.internal);
  if (route && routed) lines.push(`route replace default via ${routed.net.gateway} dev ${routed.ep.ifname} onlink`);
  await run('nsenter', [`--net=${path}`, 'ip', '-batch', '-'], `${lines.join('\n')}\n`);
  await ipBatch(eps.map(({ ep, net }) => `link set ${ep.hostIf} master ${net.bridge} up`));
}

/** Unmounts and deletes a namespace file; missing is fine. */
export async function removeNamespace(path: string): Promise<void> {
  if (await isMounted(path)) await run('umount', [path]).catch(() => run('umount', ['-l', path]));
  await rm(path, { force: true });
}

/** Mount points under `dir`, from /proc/self/mountinfo. */
export async function mountsUnder(dir: string): Promise<Set<string>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const point = line.split(' ')[4];
    if (point?.startsWith(`${dir}/`)) out.add(point);
  }
  return out;
}

async function isMounted(path: string): Promise<boolean> {
  const dir = path.slice(0, path.lastIndexOf('/'));
  return (await mountsUnder(dir)).has(path);
}

/** Files in the namespace directory. */
export async function namespaceFiles(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).map((f) => join(dir, f));
}
