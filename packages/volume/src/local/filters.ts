import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Volume, VolumeFilters } from '../types.js';

const run = promisify(execFile);

/** The label that marks an anonymous volume, as Docker sets it. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** True when `labels` carries every `key` or `key=value` of `wanted`. */
export function matchesLabels(labels: Record<string, string>, wanted: readonly string[]): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return w in labels;
    return labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

/** Docker's `volume ls --filter` semantics: every given filter must match. */
export function matchesFilters(v: Volume, f: VolumeFilters): boolean {
  if (f.dangling !== undefined && (v.usedBy.length === 0) !== f.dangling) return false;
  if (!matchesLabels(v.labels, f.label ?? [])) return false;
  if (f.name && f.name.length > 0 && !f.name.some((n) => v.name.includes(n))) return false;
  if (f.driver && f.driver.length > 0 && !f.driver.includes(v.driver)) return false;
  return true;
}

/** Bytes under `dir` (apparent sizes); 0 when it cannot be measured. */
export async function diskUsage(dir: string): Promise<number> {
  try {
    const { stdout } = await run('du', ['-sb', dir]);
    return Number.parseInt(stdout, 10) || 0;
  } catch {
    return 0;
  }
}
