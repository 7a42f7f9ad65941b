/**
 * One service of one file, checked and turned into the model's long forms
 * (before files are merged). Keys the spec has that tscr compose cannot
 * honour raise Unimplemented naming them; unknown keys raise InvalidArgument.
 */
import type { DependsOnConfig, HealthcheckConfig, PortConfig, ServiceConfig, ServiceVolumeConfig } from '../model.js';
import type { Obj, Reader } from './reader.js';
import type { DocPath } from './source.js';
import {
  checkPublished,
  checkTarget,
  parseBytes,
  parseDuration,
  parsePortShort,
  parseVolumeShort,
  shellSplit,
} from './syntax.js';
import { readBuild, readDeploy, readFileRefs, readHealthcheck, readUlimits } from './service-parts.js';

/** Service keys tscr compose honours. */
export const SERVICE_KEYS = [
  'image',
  'build',
  'pull_policy',
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'working_dir',
  'user',
  'hostname',
  'domainname',
  'container_name',
  'labels',
  'ports',
  'expose',
  'volumes',
  'volumes_from',
  'tmpfs',
  'networks',
  'network_mode',
  'depends_on',
  'healthcheck',
  'restart',
  'deploy',
  'scale',
  'stop_signal',
  'stop_grace_period',
  'init',
  'tty',
  'stdin_open',
  'cap_add',
  'cap_drop',
  'privileged',
  'read_only',
  'security_opt',
  'ulimits',
  'sysctls',
  'devices',
  'extra_hosts',
  'dns',
  'dns_search',
  'logging',
  'shm_size',
  'group_add',
  'secrets',
  'configs',
  'platform',
  'profiles',
  'extends',
] as const;

/** Service keys of the Compose Specification that tscr compose refuses (Unimplemented). */
export const UNSUPPORTED_SERVICE_KEYS = [
  'annotations',
  'attach',
  'blkio_config',
  'cpu_count',
  'cpu_percent',
  'cpu_shares',
  'cpu_period',
  'cpu_quota',
  'cpu_rt_runtime',
  'cpu_rt_period',
  'cpus',
  'cpuset',
  'cgroup',
  'cgroup_parent',
  'credential_spec',
  'develop',
  'device_cgroup_rules',
  'dns_opt',
  'external_links',
  'gpus',
  'ipc',
  'isolation',
  'label_file',
  'links',
  'mac_address',
  'mem_limit',
  'mem_reservation',
  'mem_swappiness',
  'memswap_limit',
  'models',
  'oom_kill_disable',
  'oom_score_adj',
  'pid',
  'pids_limit',
  'post_start',
  'pre_stop',
  'provider',
  'runtime',
  'storage_opt',
  'use_api_socket',
  'userns_mode',
  'uts',
  'volume_driver',
] as const;

const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;
const PULL_POLICIES = ['always', 'never', 'missing', 'build', 'if_not_present'];

/** An `env_file` entry, absolute. */
export interface EnvFileRef {
  path: string;
  required: boolean;
}

/** A service of one file: the model's fields, plus what later steps resolve. */
export interface RawService extends ServiceConfig {
  env_file?: EnvFileRef[];
  extends?: { service: string; file?: string };
}

/** Reads `services.NAME` of one file. @throws InvalidArgument / Unimplemented naming the place. */
export function readService(r: Reader, name: string, raw: unknown): RawService {
  const path: DocPath = ['services', name];
  const o = r.obj(raw ?? {}, path);
  r.keys(o, path, SERVICE_KEYS, UNSUPPORTED_SERVICE_KEYS);
  const s: RawService = { name };
  const at = (k: string): DocPath => [...path, k];
  const str = (k: keyof ServiceConfig & string) => {
    if (o[k] !== undefined && o[k] !== null) (s as unknown as Obj)[k] = r.str(o[k], at(k));
  };
  const bool = (k: keyof ServiceConfig & string) => {
    if (o[k] !== undefined && o[k] !== null) (s as unknown as Obj)[k] = r.bool(o[k], at(k));
  };
  const list = (k: keyof ServiceConfig & string) => {
    if (o[k] !== undefined && o[k] !== null) (s as unknown as Obj)[k] = r.strOrList(o[k], at(k));
  };
  for (const k of [
    'image',
    'working_dir',
    'user',
    'hostname',
    'domainname',
    'container_name',
    'network_mode',
    'stop_signal',
    'platform',
  ] as const)
    str(k);
  for (const k of ['init', 'tty', 'stdin_open', 'privileged', 'read_only'] as const) bool(k);
  for (const k of [
    'expose',
    'volumes_from',
    'tmpfs',
    'cap_add',
    'cap_drop',
    'security_opt',
    'devices',
    'dns',
    'dns_search',
    'group_add',
    'profiles',
  ] as const)
    list(k);
  for (const [i, e] of (s.expose ?? []).entries()) {
    r.parse([...at('expose'), i], () => checkTarget(e.split('/')[0]!.split('-')[0]));
  }
  if (o.container_name !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(s.container_name ?? '')) {
    throw r.fail(at('container_name'), `invalid container name ${JSON.stringify(s.container_name)}`);
  }
  if (o.pull_policy !== undefined) {
    const p = r.str(o.pull_policy, at('pull_policy'));
    if (!PULL_POLICIES.includes(p)) throw r.fail(at('pull_policy'), `invalid pull policy ${JSON.stringify(p)}`);
    s.pull_policy = p as ServiceConfig['pull_policy'];
  }
  if (o.restart !== undefined) {
    s.restart = r.str(o.restart, at('restart'));
    if (!RESTART.test(s.restart)) throw r.fail(at('restart'), `invalid restart policy ${JSON.stringify(s.restart)}`);
  }
  if (o.stop_grace_period !== undefined) {
    s.stop_grace_period = r.str(o.stop_grace_period, at('stop_grace_period'));
    r.parse(at('stop_grace_period'), () => parseDuration(s.stop_grace_period));
  }
  for (const k of ['command', 'entrypoint'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    s[k] = v === null ? null : typeof v === 'string' ? r.parse(at(k), () => shellSplit(v)) : r.strList(v, at(k));
  }
  if (o.environment !== undefined) s.environment = r.dict(o.environment, at('environment'));
  if (o.labels !== undefined) s.labels = r.strDict(o.labels, at('labels'));
  if (o.sysctls !== undefined) s.sysctls = r.strDict(o.sysctls, at('sysctls'));
  if (o.extra_hosts !== undefined) s.extra_hosts = extraHosts(r, o.extra_hosts, at('extra_hosts'));
  if (o.env_file !== undefined) s.env_file = envFiles(r, o.env_file, at('env_file'));
  if (o.build !== undefined) s.build = readBuild(r, o.build, at('build'));
  if (o.ports !== undefined) s.ports = ports(r, o.ports, at('ports'));
  if (o.volumes !== undefined) s.volumes = volumes(r, o.volumes, at('volumes'));
  if (o.networks !== undefined) s.networks = networks(r, o.networks, at('networks'));
  if (o.depends_on !== undefined) s.depends_on = dependsOn(r, o.depends_on, at('depends_on'));
  if (o.healthcheck !== undefined)
    s.healthcheck = readHealthcheck(r, o.healthcheck, at('healthcheck')) as HealthcheckConfig;
  if (o.deploy !== undefined) s.deploy = readDeploy(r, o.deploy, at('deploy'));
  if (o.scale !== undefined) s.scale = r.int(o.scale, at('scale'));
  if (o.ulimits !== undefined) s.ulimits = readUlimits(r, o.ulimits, at('ulimits'));
  if (o.shm_size !== undefined) s.shm_size = r.parse(at('shm_size'), () => parseBytes(o.shm_size));
  if (o.secrets !== undefined) s.secrets = readFileRefs(r, o.secrets, at('secrets'));
  if (o.configs !== undefined) s.configs = readFileRefs(r, o.configs, at('configs'));
  if (o.logging !== undefined) {
    const l = r.obj(o.logging, at('logging'));
    r.keys(l, at('logging'), ['driver', 'options']);
    s.logging = {};
    if (l.driver !== undefined) s.logging.driver = r.str(l.driver, [...at('logging'), 'driver']);
    if (l.options !== undefined && l.options !== null)
      s.logging.options = r.strDict(l.options, [...at('logging'), 'options']);
  }
  if (o.extends !== undefined) {
    if (typeof o.extends === 'string') s.extends = { service: o.extends };
    else {
      const e = r.obj(o.extends, at('extends'));
      r.keys(e, at('extends'), ['service', 'file']);
      s.extends = { service: r.str(e.service, [...at('extends'), 'service']) };
      if (e.file !== undefined) s.extends.file = r.path(r.str(e.file, [...at('extends'), 'file']));
    }
  }
  return s;
}

function extraHosts(r: Reader, v: unknown, path: DocPath): string[] {
  const d = r.dict(v, path, Array.isArray(v) && (v as unknown[]).every((x) => String(x).includes('=')) ? '=' : ':');
  return Object.entries(d).map(([host, ip]) => {
    if (!ip) throw r.fail(path, `invalid extra host ${JSON.stringify(host)}: want HOST=IP`);
    return `${host}=${ip}`;
  });
}

function envFiles(r: Reader, v: unknown, path: DocPath): EnvFileRef[] {
  const items = typeof v === 'string' ? [v] : Array.isArray(v) ? v : [r.obj(v, path)];
  return items.map((item, i) => {
    const p = typeof v === 'string' ? path : [...path, i];
    if (typeof item === 'string') return { path: r.path(item), required: true };
    const e = r.obj(item, p);
    r.keys(e, p, ['path', 'required', 'format']);
    if (e.format !== undefined) throw r.unsupported([...p, 'format']);
    return {
      path: r.path(r.str(e.path, [...p, 'path'])),
      required: e.required === undefined ? true : r.bool(e.required, [...p, 'required']),
    };
  });
}

function ports(r: Reader, v: unknown, path: DocPath): PortConfig[] {
  if (!Array.isArray(v)) throw r.fail(path, 'must be a list');
  return v.flatMap((item, i): PortConfig[] => {
    const p = [...path, i];
    if (typeof item === 'string' || typeof item === 'number') return r.parse(p, () => parsePortShort(item));
    const o = r.obj(item, p);
    r.keys(o, p, ['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol']);
    const protocol = o.protocol === undefined ? 'tcp' : r.str(o.protocol, [...p, 'protocol']);
    if (protocol !== 'tcp' && protocol !== 'udp')
      throw r.fail([...p, 'protocol'], `invalid protocol ${JSON.stringify(protocol)}`);
    const mode = o.mode === undefined ? 'ingress' : r.str(o.mode, [...p, 'mode']);
    if (mode !== 'ingress' && mode !== 'host') throw r.fail([...p, 'mode'], `invalid mode ${JSON.stringify(mode)}`);
    const out: PortConfig = { mode, target: r.parse([...p, 'target'], () => checkTarget(o.target)), protocol };
    if (o.host_ip !== undefined) out.host_ip = r.str(o.host_ip, [...p, 'host_ip']);
    if (o.published !== undefined && o.published !== null && o.published !== '') {
      out.published = r.parse([...p, 'published'], () => checkPublished(String(o.published)));
    }
    return [
      {
        mode: out.mode,
        ...(out.host_ip && { host_ip: out.host_ip }),
        target: out.target,
        ...(out.published && { published: out.published }),
        protocol: out.protocol,
      },
    ];
  });
}

function volumes(r: Reader, v: unknown, path: DocPath): ServiceVolumeConfig[] {
  if (!Array.isArray(v)) throw r.fail(path, 'must be a list');
  return v.map((item, i): ServiceVolumeConfig => {
    const p = [...path, i];
    if (typeof item === 'string') return r.parse(p, () => parseVolumeShort(item, (x) => r.path(x)));
    const o = r.obj(item, p);
    r.keys(
      o,
      p,
      ['type', 'source', 'target', 'read_only', 'bind', 'volume', 'tmpfs', 'consistency'],
      ['image', 'npipe', 'cluster'],
    );
    const type = r.str(o.type, [...p, 'type']);
    if (type !== 'volume' && type !== 'bind' && type !== 'tmpfs') {
      if (['image', 'npipe', 'cluster'].includes(type)) throw r.unsupported([...p, 'type']);
      throw r.fail([...p, 'type'], `invalid mount type ${JSON.stringify(type)}`);
    }
    const target = r.str(o.target, [...p, 'target']);
    if (!target.startsWith('/')) throw r.fail([...p, 'target'], 'must be an absolute path');
    const out: ServiceVolumeConfig = { type, target };
    if (o.source !== undefined && o.source !== '') {
      const src = r.str(o.source, [...p, 'source']);
      out.source = type === 'bind' ? r.path(src) : src;
      out.target = target;
    }
    if (type === 'bind' && !out.source) throw r.fail([...p, 'source'], 'a bind mount needs a source');
    if (o.read_only !== undefined) out.read_only = r.bool(o.read_only, [...p, 'read_only']);
    if (o.bind !== undefined) {
      const b = r.obj(o.bind, [...p, 'bind']);
      r.keys(b, [...p, 'bind'], ['create_host_path'], ['propagation', 'selinux']);
      out.bind =
        b.create_host_path === undefined
          ? {}
          : { create_host_path: r.bool(b.create_host_path, [...p, 'bind', 'create_host_path']) };
    }
    if (o.volume !== undefined) {
      const b = r.obj(o.volume, [...p, 'volume']);
      r.keys(b, [...p, 'volume'], ['nocopy'], ['subpath']);
      out.volume = b.nocopy === undefined ? {} : { nocopy: r.bool(b.nocopy, [...p, 'volume', 'nocopy']) };
    } else if (type === 'volume') out.volume = {};
    if (o.tmpfs !== undefined) {
      const b = r.obj(o.tmpfs, [...p, 'tmpfs']);
      r.keys(b, [...p, 'tmpfs'], ['size'], ['mode']);
      out.tmpfs = b.size === undefined ? {} : { size: r.parse([...p, 'tmpfs', 'size'], () => parseBytes(b.size)) };
    }
    return out;
  });
}

function networks(r: Reader, v: unknown, path: DocPath): ServiceConfig['networks'] {
  const out: NonNullable<ServiceConfig['networks']> = {};
  if (Array.isArray(v)) {
    for (const [i, n] of v.entries()) out[r.str(n, [...path, i])] = null;
    return out;
  }
  for (const [name, x] of Object.entries(r.obj(v, path))) {
    const p = [...path, name];
    if (x === null || x === undefined) {
      out[name] = null;
      continue;
    }
    const o = r.obj(x, p);
    r.keys(
      o,
      p,
      ['aliases', 'ipv4_address', 'priority'],
      ['ipv6_address', 'link_local_ips', 'mac_address', 'driver_opts', 'gw_priority', 'interface_name'],
    );
    const n: NonNullable<(typeof out)[string]> = {};
    if (o.aliases !== undefined) n.aliases = r.strList(o.aliases, [...p, 'aliases']);
    if (o.ipv4_address !== undefined) n.ipv4_address = r.str(o.ipv4_address, [...p, 'ipv4_address']);
    if (o.priority !== undefined) n.priority = r.int(o.priority, [...p, 'priority'], -1e9);
    out[name] = n;
  }
  return out;
}

const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];

function dependsOn(r: Reader, v: unknown, path: DocPath): Record<string, DependsOnConfig> {
  const out: Record<string, DependsOnConfig> = {};
  if (Array.isArray(v)) {
    for (const [i, n] of v.entries()) out[r.str(n, [...path, i])] = { condition: 'service_started', required: true };
    return out;
  }
  for (const [name, x] of Object.entries(r.obj(v, path))) {
    const p = [...path, name];
    const o = r.obj(x ?? {}, p);
    r.keys(o, p, ['condition', 'restart', 'required']);
    const condition = o.condition === undefined ? 'service_started' : r.str(o.condition, [...p, 'condition']);
    if (!CONDITIONS.includes(condition))
      throw r.fail(
        [...p, 'condition'],
        `invalid condition ${JSON.stringify(condition)}: want one of ${CONDITIONS.join(', ')}`,
      );
    const d: DependsOnConfig = { condition: condition as DependsOnConfig['condition'], required: true };
    if (o.restart !== undefined && r.bool(o.restart, [...p, 'restart'])) d.restart = true;
    if (o.required !== undefined) d.required = r.bool(o.required, [...p, 'required']);
    out[name] = { condition: d.condition, ...(d.restart && { restart: true }), required: d.required };
  }
  return out;
}
