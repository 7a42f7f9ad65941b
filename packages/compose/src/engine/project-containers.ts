/** The project's containers as the daemon has them, found by their Compose labels. */
import type { ContainerSummary } from '@tscr/api';
import type { ContainerService } from '@tscr/container';
import { LABEL } from './labels.js';
import type { CallOptions } from './types.js';

/** A container of the project, from the daemon's list. */
export interface Found {
  id: string;
  name: string;
  service: string;
  number: number;
  oneoff: boolean;
  hash: string;
  summary: ContainerSummary;
}

/** The containers labelled with project `project` (one-offs too with `oneoff`), by service then number. */
export async function projectContainers(
  containers: Pick<ContainerService, 'list'>,
  project: string,
  opts: CallOptions & { oneoff?: boolean } = {},
): Promise<Found[]> {
  const out: Found[] = [];
  for (const c of await containers.list({ all: true, ...(opts.signal && { signal: opts.signal }) })) {
    const l = c.labels;
    if (l[LABEL.project] !== project) continue;
    const oneoff = l[LABEL.oneoff] === 'True';
    if (oneoff && !opts.oneoff) continue;
    out.push({
      id: c.id,
      name: (c.names[0] ?? '').replace(/^\//, ''),
      service: l[LABEL.service] ?? '',
      number: Number(l[LABEL.number] ?? 0),
      oneoff,
      hash: l[LABEL.configHash] ?? '',
      summary: c,
    });
  }
  return out.sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number || a.name.localeCompare(b.name));
}

/** Every project on the daemon, from container labels: name, states, config files. */
export async function listProjects(
  containers: Pick<ContainerService, 'list'>,
  opts: CallOptions & { all?: boolean } = {},
): Promise<{ name: string; status: string; configFiles: string }[]> {
  const projects = new Map<string, { states: Map<string, number>; files: Set<string> }>();
  for (const c of await containers.list({ all: true, ...(opts.signal && { signal: opts.signal }) })) {
    const name = c.labels[LABEL.project];
    if (!name || c.labels[LABEL.oneoff] === 'True') continue;
    const p = projects.get(name) ?? { states: new Map(), files: new Set() };
    projects.set(name, p);
    p.states.set(c.state, (p.states.get(c.state) ?? 0) + 1);
    if (c.labels[LABEL.configFiles]) p.files.add(c.labels[LABEL.configFiles]);
  }
  return [...projects.entries()]
    .filter(([, p]) => opts.all || p.states.has('running'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, p]) => ({
      name,
      status: [...p.states.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([s, n]) => `${s}(${n})`)
        .join(', '),
      configFiles: [...p.files].join(','),
    }));
}
