import { posix } from 'node:path';
import { invalidArgument, type MountSpec } from '@tscr/api';
import { PROPAGATION_MODES } from './options.js';

/** Docker's rule for local volume names. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Checks a mount target and returns it cleaned (`/a//b/` → `/a/b`).
 * @throws InvalidArgument when it is not absolute or is `/`.
 */
export function cleanTarget(target: string): string {
  if (!target.startsWith('/')) {
    throw invalidArgument(`invalid mount target ${JSON.stringify(target)}: mount path must be absolute`, {
      details: { target },
    });
  }
  const clean = posix.normalize(target).replace(/(.)\/+$/, '$1');
  if (clean === '/')
    throw invalidArgument(`invalid mount target "/": destination can't be '/'`, { details: { target } });
  return clean;
}

function badSpec(spec: string, why: string): never {
  throw invalidArgument(`invalid volume specification ${JSON.stringify(spec)}: ${why}`, { details: { spec } });
}

/** SELinux relabel requests; accepted and ignored (no SELinux here). */
const RELABEL = new Set(['z', 'Z']);

function isMode(mode: string): boolean {
  return mode
    .split(',')
    .every((m) => m === 'ro' || m === 'rw' || m === 'nocopy' || RELABEL.has(m) || PROPAGATION_MODES.has(m));
}

/**
 * Parses Docker's `-v` syntax: `host-path:ctr-path[:mode]`,
 * `volume-name:ctr-path[:mode]` or `ctr-path[:mode]` (anonymous volume), where
 * mode is a comma list of `ro`/`rw` and one propagation mode (`rprivate`,
 * `rshared`, …), `nocopy` (volumes) and `z`/`Z` (ignored). An absolute
 * source makes a `bind` that creates a missing host directory, as Docker's
 * `-v` does (option `create-host-path`); any other source names a volume,
 * so the result has type `volume`.
 * @throws InvalidArgument for a malformed specification.
 */
export function parseBind(spec: string): MountSpec {
  const parts = spec.split(':');
  let source: string | undefined;
  let target: string;
  let mode = '';
  if (parts.length === 1) target = parts[0] as string;
  else if (parts.length === 2 && isMode(parts[1] as string) && (parts[0] as string).startsWith('/')) {
    [target, mode] = parts as [string, string];
  } else if (parts.length === 2) [source, target] = parts as [string, string];
  else if (parts.length === 3) [source, target, mode] = parts as [string, string, string];
  else badSpec(spec, 'too many colons');
  if (source === '') badSpec(spec, 'empty source');
  if (target === '') badSpec(spec, 'empty target');
  if (!target.startsWith('/')) badSpec(spec, 'the container path must be absolute');
  cleanTarget(target);

  let readOnly = false;
  let sawRw = false;
  const options: string[] = [];
  if (mode !== '' || parts.length === 3) {
    for (const m of mode.split(',')) {
      if (m === 'ro' || m === 'rw') {
        if (readOnly || sawRw) badSpec(spec, 'ro and rw given more than once');
        readOnly = m === 'ro';
        sawRw = m === 'rw';
      } else if (RELABEL.has(m)) {
      } else if (m === 'nocopy') {
        if (!options.includes('volume-nocopy')) options.push('volume-nocopy');
      } else if (PROPAGATION_MODES.has(m)) {
        if (options.some((o) => PROPAGATION_MODES.has(o))) badSpec(spec, 'more than one propagation mode');
        options.push(m);
      } else badSpec(spec, `invalid mode ${JSON.stringify(m)}`);
    }
  }

  source ??= '';
  const type: MountSpec['type'] = source.startsWith('/') ? 'bind' : 'volume';
  if (type === 'volume' && source !== '' && !VOLUME_NAME.test(source)) {
    badSpec(
      spec,
      `${JSON.stringify(source)} is not a valid volume name (only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed); ` +
        'to bind a host directory, use an absolute path',
    );
  }
  if (type === 'bind' && options.includes('volume-nocopy')) badSpec(spec, 'nocopy is for volumes');
  if (type === 'bind') options.push('create-host-path');
  const out: MountSpec = { type, source, target };
  if (readOnly) out.readOnly = true;
  if (options.length > 0) out.options = options;
  return out;
}

/**
 * Parses Docker's `--tmpfs` syntax, `ctr-path[:opt,opt…]`, e.g.
 * `/run:size=64m,mode=1777`. The options are checked by `resolveMounts`.
 * @throws InvalidArgument for a relative or empty path.
 */
export function parseTmpfs(spec: string): MountSpec {
  const colon = spec.indexOf(':');
  const target = colon < 0 ? spec : spec.slice(0, colon);
  const opts = colon < 0 ? '' : spec.slice(colon + 1);
  if (!target.startsWith('/')) {
    throw invalidArgument(`invalid tmpfs specification ${JSON.stringify(spec)}: the path must be absolute`, {
      details: { spec },
    });
  }
  cleanTarget(target);
  const out: MountSpec = { type: 'tmpfs', source: '', target };
  const options = opts.split(',').filter((o) => o !== '');
  if (options.length > 0) out.options = options;
  return out;
}

/**
 * Docker's `--volume-driver NAME` (`HostConfig.VolumeDriver`): the named and anonymous volumes of `-v` binds,
 * and the volume mounts that name no driver, use driver NAME. Returns the binds that stay binds (host paths) and
 * the mounts with the volume binds moved in, each carrying `volume-driver=NAME`. `local` (or empty) changes
 * nothing. @throws InvalidArgument for a malformed bind.
 */
export function applyVolumeDriver(
  binds: readonly string[],
  mounts: readonly MountSpec[],
  driver: string | undefined,
): { binds: string[]; mounts: MountSpec[] } {
  if (!driver || driver === 'local') return { binds: [...binds], mounts: [...mounts] };
  const withDriver = (m: MountSpec): MountSpec =>
    m.type !== 'volume' || m.options?.some((o) => o.startsWith('volume-driver='))
      ? m
      : { ...m, options: [...(m.options ?? []), `volume-driver=${driver}`] };
  const kept: string[] = [];
  const moved: MountSpec[] = [];
  for (const b of binds) {
    const m = parseBind(b);
    if (m.type === 'volume') moved.push(withDriver(m));
    else kept.push(b);
  }
  return { binds: kept, mounts: [...moved, ...mounts.map(withDriver)] };
}
