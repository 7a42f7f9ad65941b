/**
 * Names and labels exactly as Docker Compose v2 writes them, so docker
 * compose, docker-compose 1.29 and tscr compose see the same project.
 */
import { createHash } from 'node:crypto';
import type { ComposeModel, ServiceConfig } from '../model.js';

/** The Compose version whose names, labels and behaviour this package follows (the `version` label). */
export const COMPOSE_VERSION = '2.29.7';

export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  slug: 'com.docker.compose.slug',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  environmentFile: 'com.docker.compose.project.environment_file',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  replace: 'com.docker.compose.replace',
} as const;

/** `PROJECT-SERVICE-N`, or the service's `container_name`. */
export function containerName(project: string, s: ServiceConfig, n: number): string {
  return s.container_name ?? `${project}-${s.name}-${n}`;
}

/** A one-off (`run`) container's name: `PROJECT-SERVICE-run-<12 hex>`. */
export function oneoffName(project: string, service: string, slug: string): string {
  return `${project}-${service}-run-${slug.slice(0, 12)}`;
}

/** The image name Compose gives a service that is built without an `image:`: `PROJECT-SERVICE`. */
export function builtImageName(project: string, s: ServiceConfig): string {
  return s.image ?? `${project}-${s.name}`;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v;
}

/**
 * The service's config hash, as Compose computes it: sha256 of the service
 * without what does not change a container (build, pull_policy, scale,
 * deploy.replicas, depends_on, profiles). The JSON is tscr's canonical one
 * (keys sorted), so the value differs from Compose's; only equality matters.
 */
export function configHash(s: ServiceConfig): string {
  const { build: _b, pull_policy: _p, scale: _s, depends_on: _d, profiles: _pr, ...rest } = s;
  const o: Record<string, unknown> = { ...rest };
  if (s.deploy) {
    const { replicas: _r, ...deploy } = s.deploy;
    o.deploy = deploy;
  }
  return createHash('sha256')
    .update(JSON.stringify(canonical(o)))
    .digest('hex');
}

/** The labels of a service container. */
export function containerLabels(
  m: ComposeModel,
  s: ServiceConfig,
  extra: { number?: number; oneoff?: string; imageId: string },
): Record<string, string> {
  const deps = Object.entries(s.depends_on ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, d]) => `${name}:${d.condition}:${d.restart ? 'true' : 'false'}`)
    .join(',');
  const labels: Record<string, string> = {
    ...s.labels,
    [LABEL.project]: m.name,
    [LABEL.service]: s.name,
    [LABEL.number]: String(extra.number ?? 1),
    [LABEL.oneoff]: extra.oneoff ? 'True' : 'False',
    [LABEL.configHash]: configHash(s),
    [LABEL.workingDir]: m.workingDir,
    [LABEL.configFiles]: m.configFiles.join(','),
    [LABEL.dependsOn]: deps,
    [LABEL.image]: extra.imageId,
    [LABEL.version]: COMPOSE_VERSION,
  };
  if (m.environmentFiles.length) labels[LABEL.environmentFile] = m.environmentFiles.join(',');
  if (extra.oneoff) labels[LABEL.slug] = extra.oneoff;
  return labels;
}

/** Labels of a project network. */
export function networkLabels(project: string, key: string, own?: Record<string, string>): Record<string, string> {
  return { ...own, [LABEL.network]: key, [LABEL.project]: project, [LABEL.version]: COMPOSE_VERSION };
}

/** Labels of a project volume. */
export function volumeLabels(project: string, key: string, own?: Record<string, string>): Record<string, string> {
  return { ...own, [LABEL.project]: project, [LABEL.version]: COMPOSE_VERSION, [LABEL.volume]: key };
}

/** The number of replicas a service asks for. */
export function replicas(s: ServiceConfig): number {
  return s.scale ?? s.deploy?.replicas ?? 1;
}
