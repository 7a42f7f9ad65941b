import { run } from './exec.js';
import type { NetworkState } from './state.js';

/** Names of the iptables chains of one prefix. */
export function chainNames(prefix: string) {
  const p = prefix.toUpperCase();
  return { forward: `${p}-FWD`, isolation: `${p}-ISO`, dnat: `${p}-DNAT`, postrouting: `${p}-POST` };
}

/** The jumps from the built-in chains into ours, as `table`, rule spec. */
function jumps(prefix: string): Array<[table: string, chain: string, spec: string]> {
  const c = chainNames(prefix);
  return [
    ['filter', 'FORWARD', `-j ${c.forward}`],
    ['nat', 'PREROUTING', `-m addrtype --dst-type LOCAL -j ${c.dnat}`],
    ['nat', 'OUTPUT', `-m addrtype --dst-type LOCAL -j ${c.dnat}`],
    ['nat', 'POSTROUTING', `-j ${c.postrouting}`],
  ];
}

/**
 * The whole rule set of one prefix as `iptables-restore --noflush` input:
 * our chains are declared (which flushes them) and refilled from the state,
 * so applying it is idempotent and repairs drift. `withJumps` adds the jumps
 * from the built-in chains (only when `existing` lacks them).
 */
export function renderRules(prefix: string, state: NetworkState, existing: string): string {
  const c = chainNames(prefix);
  const filter: string[] = [`:${c.forward} - [0:0]`, `:${c.isolation} - [0:0]`];
  const nat: string[] = [`:${c.dnat} - [0:0]`, `:${c.postrouting} - [0:0]`];
  const nets = state.networks;
  for (const n of nets) filter.push(`-A ${c.isolation} -o ${n.bridge} -j DROP`);
  for (const n of nets) {
    filter.push(`-A ${c.forward} -i ${n.bridge} -o ${n.bridge} -j ACCEPT`);
    if (n.internal) {
      filter.push(`-A ${c.forward} -i ${n.bridge} ! -o ${n.bridge} -j DROP`);
      filter.push(`-A ${c.forward} -o ${n.bridge} ! -i ${n.bridge} -j DROP`);
    } else {
      filter.push(`-A ${c.forward} -i ${n.bridge} ! -o ${n.bridge} -j ${c.isolation}`);
    }
  }
  for (const n of nets) {
    if (n.internal) continue;
    filter.push(`-A ${c.forward} -i ${n.bridge} -j ACCEPT`);
    filter.push(`-A ${c.forward} -o ${n.bridge} -j ACCEPT`);
    nat.push(`-A ${c.postrouting} -s ${n.subnet} ! -o ${n.bridge} -j MASQUERADE`);
  }
  for (const n of nets) nat.push(`-A ${c.postrouting} -s 127.0.0.0/8 -o ${n.bridge} -j MASQUERADE`);
  for (const a of Object.values(state.attachments)) {
    const ep = a.endpoints[0];
    if (!ep) continue;
    for (const p of a.ports) {
      const dst = p.hostIp && p.hostIp !== '0.0.0.0' ? `-d ${p.hostIp}/32 ` : '';
      nat.push(
        `-A ${c.dnat} ${dst}-p ${p.protocol} -m ${p.protocol} --dport ${p.hostPort} -j DNAT --to-destination ${ep.ip}:${p.containerPort}`,
      );
    }
  }
  for (const [table, chain, spec] of jumps(prefix)) {
    if (existing.includes(`-A ${chain} ${spec}`)) continue;
    (table === 'filter' ? filter : nat).push(chain === 'FORWARD' ? `-I ${chain} 1 ${spec}` : `-A ${chain} ${spec}`);
  }
  return ['*filter', ...filter, 'COMMIT', '*nat', ...nat, 'COMMIT', ''].join('\n');
}

/** Input that removes the jumps and chains of a prefix. */
export function renderPurge(prefix: string, existing: string): string {
  const c = chainNames(prefix);
  const filter: string[] = [];
  const nat: string[] = [];
  for (const [table, chain, spec] of jumps(prefix)) {
    if (existing.includes(`-A ${chain} ${spec}`)) (table === 'filter' ? filter : nat).push(`-D ${chain} ${spec}`);
  }
  for (const ch of [c.forward, c.isolation]) if (existing.includes(`:${ch} `)) filter.push(`-F ${ch}`, `-X ${ch}`);
  for (const ch of [c.dnat, c.postrouting]) if (existing.includes(`:${ch} `)) nat.push(`-F ${ch}`, `-X ${ch}`);
  return ['*filter', ...filter, 'COMMIT', '*nat', ...nat, 'COMMIT', ''].join('\n');
}

/** `iptables-save` of the filter and nat tables. */
export async function saveRules(): Promise<string> {
  const [f, n] = await Promise.all([run('iptables-save', ['-t', 'filter']), run('iptables-save', ['-t', 'nat'])]);
  return `${f.stdout}\n${n.stdout}`;
}

/** Applies rules with one `iptables-restore --noflush`. */
export async function restoreRules(text: string): Promise<void> {
  await run('iptables-restore', ['-w', '--noflush'], text);
}

/** Text that makes {@link renderRules} treat every jump as installed. */
export function installedJumps(prefix: string): string {
  return jumps(prefix)
    .map(([, chain, spec]) => `-A ${chain} ${spec}`)
    .join('\n');
}
