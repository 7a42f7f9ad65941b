import { readFile } from 'node:fs/promises';
import { fromSystemError, type MountSpec } from '@tscr/api';
import type { CreateContainerRequest } from '@tscr/container';
import { applyVolumeDriver } from '@tscr/volume';
import { bool, int, list, str, usageError, type FlagSpec, type FlagValues } from '../args.js';
import { applySuperviseFlags, superviseFlags } from './supervise-flags.js';
import { applyResourceFlags, resourceFlags } from './resource-flags.js';
import { applyNetworkFlags, networkFlags } from './network.js';

/** The flags `run` and `create` share (docker's names and short forms). */
export const containerFlags: FlagSpec[] = [
  { name: 'name', type: 'string', description: 'Assign a name to the container' },
  { name: 'env', short: 'e', type: 'list', description: 'Set environment variables' },
  { name: 'env-file', type: 'list', description: 'Read in a file of environment variables' },
  { name: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container' },
  { name: 'user', short: 'u', type: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'entrypoint', type: 'string', description: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'hostname', short: 'h', type: 'string', description: 'Container host name' },
  { name: 'volume', short: 'v', type: 'list', description: 'Bind mount a volume (SRC:DST[:ro])' },
  { name: 'mount', type: 'list', valueName: 'mount', description: 'Attach a filesystem mount to the container' },
  { name: 'tmpfs', type: 'list', description: 'Mount a tmpfs directory (/path[:options])' },
  { name: 'volume-driver', type: 'string', description: 'Optional volume driver for the container' },
  {
    name: 'volumes-from',
    type: 'list',
    description: 'Mount volumes from the specified container(s) (CONTAINER[:ro|rw])',
  },
  {
    name: 'network',
    type: 'string',
    aliases: ['net'],
    description: 'Connect a container to a network (bridge, none, host, container:NAME, or a network)',
  },
  ...networkFlags,
  { name: 'runtime', type: 'string', description: 'Runtime to use for this container (runc, crun)' },
  { name: 'label', short: 'l', type: 'list', description: 'Set meta data on a container' },
  { name: 'read-only', type: 'bool', description: "Mount the container's root filesystem as read only" },
  { name: 'stop-timeout', type: 'int', valueName: 'int', description: 'Timeout (in seconds) to stop a container' },
  { name: 'stop-signal', type: 'string', description: 'Signal to stop the container' },
  { name: 'rm', type: 'bool', description: 'Automatically remove the container when it exits' },
  { name: 'pull', type: 'string', description: 'Pull image before running ("always", "missing", "never")' },
  {
    name: 'platform',
    type: 'string',
    description: 'Platform to pull if the image is multi-platform (os/arch[/variant])',
  },
  { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
  { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
  { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
  { name: 'attach', short: 'a', type: 'list', description: 'Attach to STDIN, STDOUT or STDERR' },
  ...superviseFlags,
  ...resourceFlags,
];

/** `K=V` stays; a bare `K` takes the client's value, or is dropped when unset (as docker does). */
function envEntry(entry: string, env: Record<string, string | undefined>): string | undefined {
  if (entry.includes('=')) return entry;
  const v = env[entry];
  return v === undefined ? undefined : `${entry}=${v}`;
}

async function readEnvFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw fromSystemError(err, `open env file ${path}`);
  }
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, '').trimStart())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Parses `--mount type=bind,source=/a,target=/b,readonly` (docker's CSV form). */
export function parseMount(value: string): MountSpec {
  const spec: MountSpec = { type: 'volume', source: '', target: '' };
  const options: string[] = [];
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    switch (key) {
      case 'type':
        if (val !== 'bind' && val !== 'volume' && val !== 'tmpfs') throw usageError(`invalid mount type: ${val}`);
        spec.type = val;
        break;
      case 'source':
      case 'src':
        spec.source = val ?? '';
        break;
      case 'target':
      case 'destination':
      case 'dst':
        spec.target = val ?? '';
        break;
      case 'readonly':
      case 'ro':
        if (val !== undefined && !['true', 'false', '1', '0'].includes(val)) {
          throw usageError(`invalid value for ${key}: ${val}`);
        }
        spec.readOnly = val === undefined || val === 'true' || val === '1';
        break;
      case 'bind-propagation':
        options.push(val ?? '');
        break;
      case 'volume-nocopy':
        if (val === undefined || val === 'true' || val === '1') options.push('volume-nocopy');
        break;
      case 'volume-opt':
      case 'volume-label':
        if (!val?.includes('=')) throw usageError(`invalid ${key} ${JSON.stringify(val ?? '')}: want key=value`);
        options.push(`${key}=${val}`);
        break;
      case 'volume-driver':
        options.push(`volume-driver=${val ?? ''}`);
        break;
      case 'tmpfs-size':
        options.push(`size=${val ?? ''}`);
        break;
      case 'tmpfs-mode':
        options.push(`mode=${val ?? ''}`);
        break;
      default:
        throw usageError(`unexpected key '${key}' in '${value}'`);
    }
  }
  if (!spec.target) throw usageError(`target is required in --mount ${value}`);
  if (spec.type === 'bind' && !spec.source) throw usageError(`source is required for bind mounts: ${value}`);
  if (options.length > 0) spec.options = options;
  return spec;
}

/** Parses `--tmpfs /path[:opt,opt]`. */
export function parseTmpfs(value: string): MountSpec {
  const colon = value.indexOf(':');
  const target = colon < 0 ? value : value.slice(0, colon);
  if (!target.startsWith('/')) throw usageError(`invalid tmpfs path ${JSON.stringify(target)}: must be absolute`);
  const spec: MountSpec = { type: 'tmpfs', source: '', target };
  if (colon >= 0 && value.slice(colon + 1) !== '') spec.options = value.slice(colon + 1).split(',');
  return spec;
}

function labels(entries: string[]): Record<string, string> | undefined {
  if (entries.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    const eq = e.indexOf('=');
    out[eq < 0 ? e : e.slice(0, eq)] = eq < 0 ? '' : e.slice(eq + 1);
  }
  return out;
}

/** `--env-file` then `-e` entries, bare names resolved from the client's environment. */
export async function envList(flags: FlagValues, env: Record<string, string | undefined>): Promise<string[]> {
  const entries: string[] = [];
  for (const file of list(flags, 'env-file')) entries.push(...(await readEnvFile(file)));
  entries.push(...list(flags, 'env'));
  return entries.map((e) => envEntry(e, env)).filter((e): e is string => e !== undefined);
}

/**
 * Turns `run`/`create` flags and `IMAGE [CMD...]` into a create request.
 * @throws TscrError InvalidArgument (usage) for malformed flags.
 */
export async function buildCreateRequest(
  flags: FlagValues,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<CreateContainerRequest> {
  const [image, ...cmd] = args;
  if (!image) throw usageError('requires at least 1 argument');
  const resolvedEnv = await envList(flags, env);
  const entrypoint = str(flags, 'entrypoint');
  // `--volume-driver`: the container's volume binds become mounts of that driver.
  const { binds, mounts } = applyVolumeDriver(
    list(flags, 'volume'),
    [...list(flags, 'mount').map(parseMount), ...list(flags, 'tmpfs').map(parseTmpfs)],
    str(flags, 'volume-driver'),
  );
  const req: CreateContainerRequest = {
    config: {
      image,
      ...(cmd.length > 0 && { cmd }),
      ...(entrypoint !== undefined && { entrypoint: entrypoint === '' ? [] : [entrypoint] }),
      ...(resolvedEnv.length > 0 && { env: resolvedEnv }),
      ...(str(flags, 'workdir') !== undefined && { workingDir: str(flags, 'workdir') }),
      ...(str(flags, 'user') !== undefined && { user: str(flags, 'user') }),
      ...(str(flags, 'hostname') !== undefined && { hostname: str(flags, 'hostname') }),
      ...(labels(list(flags, 'label')) && { labels: labels(list(flags, 'label')) }),
      ...(str(flags, 'stop-signal') !== undefined && { stopSignal: str(flags, 'stop-signal') }),
      ...(int(flags, 'stop-timeout') !== undefined && { stopTimeout: int(flags, 'stop-timeout') }),
      ...(bool(flags, 'tty') && { tty: true }),
      ...(bool(flags, 'interactive') && { openStdin: true }),
    },
    hostConfig: {
      ...(str(flags, 'network') !== undefined && { networkMode: str(flags, 'network') }),
      ...(binds.length > 0 && { binds }),
      ...(mounts.length > 0 && { mounts }),
      ...(bool(flags, 'rm') && { autoRemove: true }),
      ...(bool(flags, 'read-only') && { readonlyRootfs: true }),
      ...(str(flags, 'runtime') !== undefined && { runtime: str(flags, 'runtime') }),
    },
  };
  const name = str(flags, 'name');
  if (name !== undefined) req.name = name;
  req.hostConfig ??= {};
  applySuperviseFlags(flags, req.config, req.hostConfig);
  applyResourceFlags(flags, req.hostConfig);
  applyNetworkFlags(flags, req);
  return req;
}
