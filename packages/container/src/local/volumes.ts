import { posix } from 'node:path';
import type { ContainerInfo, HostConfig, Mount, MountSpec } from '@tscr/api';
import { parseBind } from '@tscr/volume';

function clean(target: string): string {
  const t = posix.normalize(target);
  return t.length > 1 ? t.replace(/\/+$/, '') : t;
}

/** Every mount a container asked for: `-v` binds first, then `--mount`s. */
export function mountSpecsOf(info: { hostConfig: HostConfig }): MountSpec[] {
  return [...(info.hostConfig.binds ?? []).map(parseBind), ...(info.hostConfig.mounts ?? [])];
}

/**
 * The mounts a new container gets: what it asked for, plus an anonymous
 * volume for each of the image's `VOLUME` paths no other mount covers.
 */
export function createMountSpecs(hostConfig: HostConfig, imageVolumes: readonly string[] = []): MountSpec[] {
  const asked = mountSpecsOf({ hostConfig });
  const taken = new Set(asked.map((m) => clean(m.target)));
  const fromImage = imageVolumes
    .filter((v) => v.startsWith('/') && !taken.has(clean(v)))
    .map((target): MountSpec => ({ type: 'volume', source: '', target }));
  return [...asked, ...fromImage];
}

/**
 * The mounts of an existing container: its requests with each anonymous
 * volume named as it was created, plus the volumes that came from the image.
 */
export function startMountSpecs(info: Pick<ContainerInfo, 'hostConfig' | 'mounts'>): MountSpec[] {
  const named = new Map(
    info.mounts.filter((m) => m.type === 'volume' && m.name).map((m) => [clean(m.destination), m.name!] as const),
  );
  const asked = mountSpecsOf(info).map((m) => {
    const name = named.get(clean(m.target));
    return m.type === 'volume' && m.source === '' && name ? { ...m, source: name } : m;
  });
  const taken = new Set(asked.map((m) => clean(m.target)));
  const fromImage = [...named]
    .filter(([target]) => !taken.has(target))
    .map(([target, source]): MountSpec => ({ type: 'volume', source, target }));
  return [...asked, ...fromImage];
}

/** The image's layer directories (top first) from a snapshot's overlay mount; empty when there is none. */
export function imageLayersOf(rootfs: readonly Mount[]): string[] {
  for (const m of rootfs) {
    const lower = m.options.find((o) => o.startsWith('lowerdir='));
    if (lower)
      return lower
        .slice('lowerdir='.length)
        .split(':')
        .filter((d) => d !== '');
  }
  return [];
}
