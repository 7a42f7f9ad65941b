/** tscr's images → dockerd's image list, inspect and pull-progress JSON. */
import type { Image } from '@tscr/api';
import { familiarize } from '@tscr/registry-client';
import { healthcheckJson } from './containers.js';

/** `docker.io/library/busybox:1` → `busybox:1`, as dockerd prints references. */
export function familiar(ref: string): string {
  try {
    return familiarize(ref);
  } catch {
    return ref;
  }
}

function unixSeconds(rfc3339: string): number {
  const t = Date.parse(rfc3339);
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

/** One row of `GET /images/json`. `VirtualSize` went away in 1.44. */
export function imageSummaryJson(i: Image, version: number) {
  return {
    Id: i.id,
    ParentId: i.parent ?? '',
    RepoTags: i.repoTags.map(familiar),
    RepoDigests: i.repoDigests.map(familiar),
    Created: unixSeconds(i.created),
    Size: i.size,
    SharedSize: -1,
    ...(version < 44 ? { VirtualSize: i.size } : {}),
    Labels: i.config.labels ?? {},
    Containers: -1,
  };
}

function portSet(ports: string[] | undefined): Record<string, object> | null {
  if (!ports?.length) return null;
  return Object.fromEntries(ports.map((p) => [p.includes('/') ? p : `${p}/tcp`, {}]));
}

/** `GET /images/{name}/json`. */
export function imageInspectJson(i: Image, version: number) {
  const c = i.config;
  const config = {
    Hostname: '',
    Domainname: '',
    User: c.user ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ExposedPorts: portSet(c.exposedPorts),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c.env ?? null,
    Cmd: c.cmd ?? null,
    ...(c.healthcheck ? { Healthcheck: healthcheckJson(c.healthcheck) } : {}),
    Image: '',
    Volumes: c.volumes?.length ? Object.fromEntries(c.volumes.map((v) => [v, {}])) : null,
    WorkingDir: c.workingDir ?? '',
    Entrypoint: c.entrypoint ?? null,
    OnBuild: c.onBuild ?? null,
    Labels: c.labels ?? null,
    ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
    ...(c.shell ? { Shell: c.shell } : {}),
  };
  return {
    Id: i.id,
    RepoTags: i.repoTags.map(familiar),
    RepoDigests: i.repoDigests.map(familiar),
    Parent: i.parent ?? '',
    Comment: i.comment ?? '',
    Created: i.created,
    ...(version < 45 ? { Container: '', ContainerConfig: config } : {}),
    DockerVersion: '',
    Author: '',
    Config: config,
    Architecture: i.architecture,
    Os: i.os,
    Size: i.size,
    ...(version < 44 ? { VirtualSize: i.size } : {}),
    GraphDriver: { Name: 'overlay2', Data: null },
    RootFS: { Type: 'layers', Layers: i.layers },
    Metadata: { LastTagTime: ZERO_TIME },
  };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Docker's reference filter: a glob over `name[:tag]` (`*` within a path segment). */
export function referenceMatches(pattern: string, ref: string): boolean {
  const fam = familiar(ref);
  const [name] = splitTag(fam);
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*')}$`,
  );
  return re.test(fam) || re.test(name) || re.test(ref);
}

function splitTag(ref: string): [string, string] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, 'latest'];
}
