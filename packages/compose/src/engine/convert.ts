/**
 * A service → the container service's create request (Docker's Config,
 * HostConfig and NetworkingConfig), as docker compose v2 fills them.
 */
import { type HostConfig, type MountSpec, type PortBindingEntry, unimplemented, invalidArgument } from '@tscr/api';
import type { CreateContainerRequest } from '@tscr/container';
import type { ComposeModel, ServiceConfig } from '../model.js';
import { parseDuration } from '../loader/syntax.js';
import { fileTarget } from './inject.js';

/** What a create request needs besides the service. */
export interface ContainerPlan {
  name: string;
  image: string;
  labels: Record<string, string>;
  /** `container:<id>` for `network_mode: service:x`, resolved by the caller. */
  networkMode?: string;
  /** Mounts of `volumes_from`, resolved by the caller. */
  volumesFrom?: MountSpec[];
  /** Anonymous volumes of the container being replaced, by target: kept, as Compose keeps them. */
  anonymous?: Record<string, string>;
  /** `run`: replaces the command, adds env, drops ports unless `servicePorts`. */
  oneoff?: {
    command?: string[];
    entrypoint?: string[];
    env?: string[];
    user?: string;
    workdir?: string;
    tty?: boolean;
    stdin?: boolean;
    servicePorts?: boolean;
    publish?: Record<string, PortBindingEntry[]>;
    volumes?: MountSpec[];
  };
}

/** The network a service's container is created on (the highest priority, then the first by name), as Compose picks it. */
export function primaryNetwork(s: ServiceConfig): string | undefined {
  const entries = Object.entries(s.networks ?? {});
  entries.sort(([a, x], [b, y]) => (y?.priority ?? 0) - (x?.priority ?? 0) || a.localeCompare(b));
  return entries[0]?.[0];
}

function ports(s: ServiceConfig): Record<string, PortBindingEntry[]> {
  const out: Record<string, PortBindingEntry[]> = {};
  for (const p of s.ports ?? []) {
    if (p.published?.includes('-'))
      throw unimplemented(`services.${s.name}.ports: a published range for one container port (${p.published})`);
    if (p.host_ip?.includes(':')) throw unimplemented(`services.${s.name}.ports: IPv6 host address ${p.host_ip}`);
    const key = `${p.target}/${p.protocol}`;
    out[key] = [...(out[key] ?? []), { hostIp: p.host_ip ?? '', hostPort: p.published ?? '' }];
  }
  return out;
}

function mounts(m: ComposeModel, s: ServiceConfig, plan: ContainerPlan): MountSpec[] {
  const out: MountSpec[] = [];
  for (const v of s.volumes ?? []) {
    const spec: MountSpec = { type: v.type, source: '', target: v.target };
    if (v.read_only) spec.readOnly = true;
    if (v.type === 'volume') {
      spec.source = v.source ? m.volumes[v.source]!.name : (plan.anonymous?.[v.target] ?? '');
      if (v.volume?.nocopy) spec.options = ['nocopy'];
    } else if (v.type === 'bind') {
      spec.source = v.source!;
      if (v.bind?.create_host_path) spec.options = ['create-host-path'];
    } else if (v.tmpfs?.size) spec.options = [`size=${v.tmpfs.size}`];
    out.push(spec);
  }
  for (const t of s.tmpfs ?? []) {
    const [target, opts] = t.split(':', 2) as [string, string | undefined];
    out.push({ type: 'tmpfs', source: '', target, ...(opts && { options: opts.split(',') }) });
  }
  for (const key of ['secrets', 'configs'] as const) {
    for (const ref of s[key] ?? []) {
      const obj = m[key][ref.source]!;
      // Environment and inline sources are written in before the start (inject.ts).
      if (obj.file)
        out.push({ type: 'bind', source: obj.file, target: fileTarget(key, ref.source, ref.target), readOnly: true });
    }
  }
  out.push(...(plan.volumesFrom ?? []), ...(plan.oneoff?.volumes ?? []));
  return out;
}

function device(s: ServiceConfig, value: string) {
  const parts = value.split(':');
  const pathOnHost = parts[0]!;
  const pathInContainer = parts.length >= 2 && !/^[rwm]+$/.test(parts[1]!) ? parts[1]! : pathOnHost;
  const perms = parts.length === 3 ? parts[2]! : parts.length === 2 && /^[rwm]+$/.test(parts[1]!) ? parts[1]! : 'rwm';
  if (!pathOnHost.startsWith('/') || !pathInContainer.startsWith('/'))
    throw invalidArgument(`services.${s.name}.devices: invalid device ${JSON.stringify(value)}`);
  return { pathOnHost, pathInContainer, cgroupPermissions: perms };
}

function restartPolicy(r: string | undefined): HostConfig['restartPolicy'] {
  if (!r || r === 'no') return undefined;
  const [name, n] = r.split(':') as [NonNullable<HostConfig['restartPolicy']>['name'], string | undefined];
  return { name, ...(n && { maximumRetryCount: Number(n) }) };
}

/** The create request of one container of `s`. @throws Unimplemented for what tscr cannot do (named). */
export function createRequest(m: ComposeModel, s: ServiceConfig, plan: ContainerPlan): CreateContainerRequest {
  if (s.domainname) throw unimplemented(`services.${s.name}.domainname (containers have no domain name in tscr)`);
  if (s.platform && !/^linux(\/(amd64|x86_64))?$/.test(s.platform))
    throw unimplemented(`services.${s.name}.platform ${s.platform}: only linux/amd64 here`);
  const o = plan.oneoff;
  const env = Object.entries(s.environment ?? {})
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${v}`);
  const req: CreateContainerRequest = {
    name: plan.name,
    config: {
      image: plan.image,
      labels: plan.labels,
      env: [...env, ...(o?.env ?? [])],
    },
  };
  const c = req.config;
  const cmd = o?.command ?? s.command;
  if (cmd) c.cmd = cmd;
  const entrypoint = o?.entrypoint ?? s.entrypoint;
  if (entrypoint) c.entrypoint = entrypoint;
  if (o?.workdir ?? s.working_dir) c.workingDir = o?.workdir ?? s.working_dir;
  if (o?.user ?? s.user) c.user = o?.user ?? s.user;
  if (s.hostname) c.hostname = s.hostname;
  const tty = o?.tty ?? s.tty;
  if (tty) c.tty = true;
  if (o?.stdin ?? s.stdin_open) c.openStdin = true;
  if (o?.stdin) c.stdinOnce = true;
  if (s.stop_signal) c.stopSignal = s.stop_signal;
  if (s.stop_grace_period) c.stopTimeout = Math.ceil(parseDuration(s.stop_grace_period) / 1000);
  if (s.healthcheck) {
    const h = s.healthcheck;
    c.healthcheck = h.disable
      ? { test: ['NONE'] }
      : {
          ...(h.test && { test: h.test }),
          ...(h.interval && { intervalMs: parseDuration(h.interval) }),
          ...(h.timeout && { timeoutMs: parseDuration(h.timeout) }),
          ...(h.start_period && { startPeriodMs: parseDuration(h.start_period) }),
          ...(h.retries !== undefined && { retries: h.retries }),
        };
  }
  const primary = primaryNetwork(s);
  const h: HostConfig = {
    networkMode: plan.networkMode ?? s.network_mode ?? (primary ? m.networks[primary]!.name : 'bridge'),
    mounts: mounts(m, s, plan),
  };
  req.hostConfig = h;
  const published = o ? (o.servicePorts ? ports(s) : (o.publish ?? {})) : ports(s);
  if (Object.keys(published).length) h.portBindings = published;
  const rp = restartPolicy(o ? undefined : s.restart);
  if (rp) h.restartPolicy = rp;
  if (s.init) h.init = true;
  if (s.privileged) h.privileged = true;
  if (s.read_only) h.readonlyRootfs = true;
  if (s.cap_add) h.capAdd = s.cap_add;
  if (s.cap_drop) h.capDrop = s.cap_drop;
  if (s.security_opt) h.securityOpt = s.security_opt;
  if (s.group_add) h.groupAdd = s.group_add;
  if (s.dns) h.dns = s.dns;
  if (s.dns_search) h.dnsSearch = s.dns_search;
  if (s.extra_hosts) h.extraHosts = s.extra_hosts.map((e) => e.replace('=', ':'));
  if (s.sysctls) h.sysctls = s.sysctls;
  if (s.shm_size !== undefined) h.shmSize = s.shm_size;
  if (s.devices) h.devices = s.devices.map((d) => device(s, d));
  if (s.ulimits) {
    h.ulimits = Object.entries(s.ulimits).map(([name, v]) =>
      typeof v === 'number' ? { name, soft: v, hard: v } : { name, soft: v.soft, hard: v.hard },
    );
  }
  if (s.logging) {
    if (s.logging.driver && !['json-file', 'k8s-file'].includes(s.logging.driver)) {
      throw unimplemented(`services.${s.name}.logging.driver ${s.logging.driver} (json-file and k8s-file are)`);
    }
    h.logConfig = { type: 'k8s-file', ...(s.logging.options && { config: s.logging.options }) };
  }
  const limits = s.deploy?.resources?.limits;
  if (limits?.cpus) h.nanoCpus = Math.round(Number(limits.cpus) * 1e9);
  if (limits?.memory) h.memory = limits.memory;
  if (limits?.pids) h.pidsLimit = limits.pids;
  const reservation = s.deploy?.resources?.reservations?.memory;
  if (reservation) h.memoryReservation = reservation;
  if (!plan.networkMode && !s.network_mode) {
    req.networkingConfig = {};
    for (const [key, n] of Object.entries(s.networks ?? {})) {
      req.networkingConfig[m.networks[key]!.name] = {
        aliases: [s.name, ...(n?.aliases ?? [])],
        ...(n?.ipv4_address && { ipamConfig: { ipv4Address: n.ipv4_address } }),
      };
    }
  }
  return req;
}
